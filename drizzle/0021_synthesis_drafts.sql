CREATE TABLE "synthesis_drafts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"language" text NOT NULL,
	"model" text NOT NULL,
	"model_digest" text,
	"prompt_version" text NOT NULL,
	"options" jsonb NOT NULL,
	"input" jsonb NOT NULL,
	"sections" jsonb NOT NULL,
	"citation_keys" jsonb NOT NULL,
	"task_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meta_analyses" ADD COLUMN "extraction_inputs" jsonb;--> statement-breakpoint
ALTER TABLE "synthesis_drafts" ADD CONSTRAINT "synthesis_drafts_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "synthesis_drafts" ADD CONSTRAINT "synthesis_drafts_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "synthesis_drafts" ADD CONSTRAINT "synthesis_drafts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "synthesis_drafts_project_version_idx" ON "synthesis_drafts" USING btree ("project_id","version");