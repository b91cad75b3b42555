CREATE TABLE "screening_states" (
	"record_id" uuid NOT NULL,
	"stage" "screening_stage" NOT NULL,
	"project_id" uuid NOT NULL,
	"humans" integer NOT NULL,
	"lowest" "decision_value",
	"highest" "decision_value",
	"resolution" "decision_value",
	"resolution_reason" text,
	"exclusion_reasons" jsonb,
	CONSTRAINT "screening_states_record_id_stage_pk" PRIMARY KEY("record_id","stage")
);
--> statement-breakpoint
CREATE TABLE "source_counts" (
	"batch_id" uuid NOT NULL,
	"own_database" text,
	"project_id" uuid NOT NULL,
	"records" integer NOT NULL,
	CONSTRAINT "source_counts_key" UNIQUE NULLS NOT DISTINCT("batch_id","own_database","project_id")
);
--> statement-breakpoint
ALTER TABLE "screening_states" ADD CONSTRAINT "screening_states_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "screening_states_project_idx" ON "screening_states" USING btree ("project_id","stage");--> statement-breakpoint
CREATE INDEX "articles_duplicate_of_idx" ON "articles" USING btree ("duplicate_of") WHERE duplicate_of IS NOT NULL;--> statement-breakpoint
CREATE INDEX "articles_project_full_text_idx" ON "articles" USING btree ("project_id") WHERE full_text_file_id IS NOT NULL;