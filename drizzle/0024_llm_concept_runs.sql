CREATE TABLE "llm_concept_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"model" text NOT NULL,
	"model_digest" text,
	"prompt_version" text NOT NULL,
	"options" jsonb NOT NULL,
	"studies" jsonb NOT NULL,
	"failures" jsonb NOT NULL,
	"task_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "llm_concept_runs" ADD CONSTRAINT "llm_concept_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_concept_runs" ADD CONSTRAINT "llm_concept_runs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_concept_runs" ADD CONSTRAINT "llm_concept_runs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "llm_concept_runs_project_idx" ON "llm_concept_runs" USING btree ("project_id","created_at");