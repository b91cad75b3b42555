CREATE TABLE "extraction_consensus" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"grid_id" uuid NOT NULL,
	"grid_version_id" uuid NOT NULL,
	"values" jsonb NOT NULL,
	"note" text,
	"decided_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "extraction_grid_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"grid_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"definition" jsonb NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "extraction_grids" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"current_version" integer DEFAULT 1 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "extraction_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"grid_id" uuid NOT NULL,
	"grid_version_id" uuid NOT NULL,
	"reviewer_id" uuid,
	"kind" text DEFAULT 'extraction' NOT NULL,
	"status" text NOT NULL,
	"values" jsonb NOT NULL,
	"origin" text DEFAULT 'human' NOT NULL,
	"run" jsonb,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "extractions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"article_id" uuid NOT NULL,
	"grid_id" uuid NOT NULL,
	"grid_version_id" uuid NOT NULL,
	"reviewer_id" uuid NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"origin" text DEFAULT 'human' NOT NULL,
	"run" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "extraction_consensus" ADD CONSTRAINT "extraction_consensus_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_consensus" ADD CONSTRAINT "extraction_consensus_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_consensus" ADD CONSTRAINT "extraction_consensus_grid_id_extraction_grids_id_fk" FOREIGN KEY ("grid_id") REFERENCES "public"."extraction_grids"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_consensus" ADD CONSTRAINT "extraction_consensus_grid_version_id_extraction_grid_versions_id_fk" FOREIGN KEY ("grid_version_id") REFERENCES "public"."extraction_grid_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_consensus" ADD CONSTRAINT "extraction_consensus_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_grid_versions" ADD CONSTRAINT "extraction_grid_versions_grid_id_extraction_grids_id_fk" FOREIGN KEY ("grid_id") REFERENCES "public"."extraction_grids"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_grid_versions" ADD CONSTRAINT "extraction_grid_versions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_grids" ADD CONSTRAINT "extraction_grids_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_grids" ADD CONSTRAINT "extraction_grids_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_history" ADD CONSTRAINT "extraction_history_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_history" ADD CONSTRAINT "extraction_history_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_history" ADD CONSTRAINT "extraction_history_grid_id_extraction_grids_id_fk" FOREIGN KEY ("grid_id") REFERENCES "public"."extraction_grids"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_history" ADD CONSTRAINT "extraction_history_grid_version_id_extraction_grid_versions_id_fk" FOREIGN KEY ("grid_version_id") REFERENCES "public"."extraction_grid_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extraction_history" ADD CONSTRAINT "extraction_history_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_grid_id_extraction_grids_id_fk" FOREIGN KEY ("grid_id") REFERENCES "public"."extraction_grids"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_grid_version_id_extraction_grid_versions_id_fk" FOREIGN KEY ("grid_version_id") REFERENCES "public"."extraction_grid_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "extractions" ADD CONSTRAINT "extractions_reviewer_id_users_id_fk" FOREIGN KEY ("reviewer_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "extraction_consensus_article_grid_idx" ON "extraction_consensus" USING btree ("article_id","grid_id");--> statement-breakpoint
CREATE UNIQUE INDEX "extraction_grid_versions_grid_idx" ON "extraction_grid_versions" USING btree ("grid_id","version");--> statement-breakpoint
CREATE INDEX "extraction_grids_project_idx" ON "extraction_grids" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "extraction_history_article_idx" ON "extraction_history" USING btree ("article_id","grid_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "extractions_article_grid_reviewer_idx" ON "extractions" USING btree ("article_id","grid_id","reviewer_id");--> statement-breakpoint
CREATE INDEX "extractions_project_grid_idx" ON "extractions" USING btree ("project_id","grid_id");