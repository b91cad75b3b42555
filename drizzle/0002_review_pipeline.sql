CREATE TABLE "duplicate_judgements" (
	"project_id" uuid NOT NULL,
	"article_a" uuid NOT NULL,
	"article_b" uuid NOT NULL,
	"judgement" text NOT NULL,
	"user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duplicate_judgements_article_a_article_b_pk" PRIMARY KEY("article_a","article_b")
);
--> statement-breakpoint
CREATE TABLE "screening_models" (
	"project_id" uuid NOT NULL,
	"stage" "screening_stage" NOT NULL,
	"model" text NOT NULL,
	"labelled" integer NOT NULL,
	"includes" integer NOT NULL,
	"stats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"trained_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_models_project_id_stage_pk" PRIMARY KEY("project_id","stage")
);
--> statement-breakpoint
CREATE TABLE "search_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"task_id" uuid,
	"batch_id" uuid,
	"database" text NOT NULL,
	"query" text NOT NULL,
	"query_as_sent" text,
	"max_records" integer,
	"status" text DEFAULT 'queued' NOT NULL,
	"total_hits" integer,
	"retrieved" integer DEFAULT 0 NOT NULL,
	"new_records" integer DEFAULT 0 NOT NULL,
	"error" text,
	"created_by" uuid,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "record" jsonb;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "relevance" real;--> statement-breakpoint
ALTER TABLE "articles" ADD COLUMN "full_text_file_id" uuid;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "tags" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "probability" real;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "justification" text;--> statement-breakpoint
ALTER TABLE "decisions" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "screening_settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "kind" text DEFAULT 'human' NOT NULL;--> statement-breakpoint
ALTER TABLE "duplicate_judgements" ADD CONSTRAINT "duplicate_judgements_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_judgements" ADD CONSTRAINT "duplicate_judgements_article_a_articles_id_fk" FOREIGN KEY ("article_a") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_judgements" ADD CONSTRAINT "duplicate_judgements_article_b_articles_id_fk" FOREIGN KEY ("article_b") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_judgements" ADD CONSTRAINT "duplicate_judgements_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screening_models" ADD CONSTRAINT "screening_models_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_batch_id_source_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."source_batches"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "search_runs" ADD CONSTRAINT "search_runs_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "duplicate_judgements_project_idx" ON "duplicate_judgements" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "search_runs_project_idx" ON "search_runs" USING btree ("project_id","created_at");