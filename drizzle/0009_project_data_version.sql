CREATE TABLE "project_changes" (
	"project_id" uuid NOT NULL,
	"txid" bigint DEFAULT txid_current() NOT NULL,
	CONSTRAINT "project_changes_project_id_txid_pk" PRIMARY KEY("project_id","txid")
);
--> statement-breakpoint
DROP INDEX "articles_project_idx";--> statement-breakpoint
DROP INDEX "articles_project_year_idx";--> statement-breakpoint
DROP INDEX "articles_project_title_idx";--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "data_version" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX "articles_project_journal_idx" ON "articles" USING btree ("project_id",left(lower("journal"), 256),"source_index","id");--> statement-breakpoint
CREATE INDEX "articles_project_idx" ON "articles" USING btree ("project_id","created_at","source_index","id");--> statement-breakpoint
CREATE INDEX "articles_project_year_idx" ON "articles" USING btree ("project_id","year","source_index","id");--> statement-breakpoint
CREATE INDEX "articles_project_title_idx" ON "articles" USING btree ("project_id",left(lower("title"), 256),"source_index","id");--> statement-breakpoint
-- Every statement that writes articles or decisions notes its projects, once per transaction; at commit
-- a deferred trigger bumps each noted project's data_version (and forgets the note). Whatever the writer
-- (an import's COPY, deduplication, a decision, a model's relevance scores, a cascade), a list page of the
-- project cannot stay the same across a committed change without its version changing.
CREATE FUNCTION note_project_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_changes (project_id) SELECT DISTINCT project_id FROM changed_rows ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION bump_project_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE projects SET data_version = data_version + 1 WHERE id = NEW.project_id;
  DELETE FROM project_changes WHERE project_id = NEW.project_id AND txid = NEW.txid;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE CONSTRAINT TRIGGER project_changes_bump AFTER INSERT ON project_changes
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_project_data_version();--> statement-breakpoint
CREATE TRIGGER articles_inserted_change AFTER INSERT ON articles REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER articles_updated_change AFTER UPDATE ON articles REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER articles_deleted_change AFTER DELETE ON articles REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER decisions_inserted_change AFTER INSERT ON decisions REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER decisions_updated_change AFTER UPDATE ON decisions REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();--> statement-breakpoint
CREATE TRIGGER decisions_deleted_change AFTER DELETE ON decisions REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION note_project_change();
