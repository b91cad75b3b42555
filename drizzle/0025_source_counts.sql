CREATE TABLE "source_counts" (
	"batch_id" uuid NOT NULL,
	"own_database" text,
	"project_id" uuid NOT NULL,
	"records" integer NOT NULL,
	CONSTRAINT "source_counts_key" UNIQUE NULLS NOT DISTINCT("batch_id","own_database","project_id")
);
