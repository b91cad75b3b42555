-- Full texts become content-addressed: PDFs stored twice in a project (before this migration) are merged into the oldest copy.
WITH ranked AS (
	SELECT id, first_value(id) OVER (PARTITION BY project_id, sha256 ORDER BY created_at, id) AS keep
	FROM files WHERE content_type = 'application/pdf'
)
UPDATE articles SET full_text_file_id = ranked.keep FROM ranked
WHERE articles.full_text_file_id = ranked.id AND ranked.id <> ranked.keep;--> statement-breakpoint
DELETE FROM files USING (
	SELECT id, first_value(id) OVER (PARTITION BY project_id, sha256 ORDER BY created_at, id) AS keep
	FROM files WHERE content_type = 'application/pdf'
) ranked WHERE files.id = ranked.id AND ranked.id <> ranked.keep;--> statement-breakpoint
CREATE TABLE "full_text_pages" (
	"file_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"page" integer NOT NULL,
	"text" text NOT NULL,
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', text)) STORED NOT NULL,
	CONSTRAINT "full_text_pages_file_id_page_pk" PRIMARY KEY("file_id","page")
);
--> statement-breakpoint
CREATE TABLE "full_texts" (
	"file_id" uuid PRIMARY KEY NOT NULL,
	"project_id" uuid NOT NULL,
	"status" text NOT NULL,
	"error_code" text,
	"error_message" text,
	"page_count" integer DEFAULT 0 NOT NULL,
	"ocr_pages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"sections" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"extractor_version" text NOT NULL,
	"extracted_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "full_text_pages" ADD CONSTRAINT "full_text_pages_file_id_full_texts_file_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."full_texts"("file_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_text_pages" ADD CONSTRAINT "full_text_pages_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_texts" ADD CONSTRAINT "full_texts_file_id_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "full_texts" ADD CONSTRAINT "full_texts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "full_text_pages_search_idx" ON "full_text_pages" USING gin ("search");--> statement-breakpoint
CREATE INDEX "full_text_pages_project_idx" ON "full_text_pages" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "full_texts_project_idx" ON "full_texts" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "files_project_pdf_sha256_idx" ON "files" USING btree ("project_id","sha256") WHERE content_type = 'application/pdf';