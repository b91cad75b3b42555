CREATE TABLE "screening_rankings" (
	"project_id" uuid NOT NULL,
	"stage" "screening_stage" NOT NULL,
	"version" bigint NOT NULL,
	"mode" text NOT NULL,
	"ids" "bytea" NOT NULL,
	"scores" "bytea" NOT NULL,
	"stored_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "screening_rankings_project_id_stage_pk" PRIMARY KEY("project_id","stage")
);
--> statement-breakpoint
DROP INDEX "articles_project_relevance_idx";--> statement-breakpoint
ALTER TABLE "project_changes" ADD COLUMN "articles" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "articles_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "screening_rankings" ADD CONSTRAINT "screening_rankings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "articles" DROP COLUMN "relevance";--> statement-breakpoint
-- The relevance scores moved from articles.relevance (10,000 row updates per fit) to screening_rankings
-- (one row per fit). A transaction that changed articles (not only decisions or scores) also bumps
-- projects.articles_version: the screening model's features, built from the texts, hold while it does.
CREATE OR REPLACE FUNCTION note_project_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_changes (project_id, articles) SELECT DISTINCT project_id, TG_TABLE_NAME = 'articles' FROM changed_rows
  ON CONFLICT (project_id, txid) DO UPDATE SET articles = true WHERE excluded.articles AND NOT project_changes.articles;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION bump_project_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed_articles boolean;
BEGIN
  DELETE FROM project_changes WHERE project_id = NEW.project_id AND txid = NEW.txid RETURNING articles INTO changed_articles;
  UPDATE projects SET data_version = data_version + 1, articles_version = articles_version + CASE WHEN changed_articles THEN 1 ELSE 0 END
  WHERE id = NEW.project_id;
  RETURN NULL;
END $$;
