CREATE TABLE "original_chunks" (
	"batch_id" uuid NOT NULL,
	"chunk" integer NOT NULL,
	"records" "bytea" NOT NULL,
	CONSTRAINT "original_chunks_batch_id_chunk_pk" PRIMARY KEY("batch_id","chunk")
);
--> statement-breakpoint
ALTER TABLE "original_chunks" ADD CONSTRAINT "original_chunks_batch_id_source_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."source_batches"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- The chunks are compressed by the importer: stored out of line as they are, not compressed again.
ALTER TABLE "original_chunks" ALTER COLUMN "records" SET STORAGE EXTERNAL;
