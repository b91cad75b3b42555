DROP INDEX "articles_project_title_idx";--> statement-breakpoint
DROP INDEX "articles_project_doi_idx";--> statement-breakpoint
DROP INDEX "articles_project_pmid_idx";--> statement-breakpoint
CREATE INDEX "articles_project_title_idx" ON "articles" USING btree ("project_id",left(lower("title"), 256));--> statement-breakpoint
CREATE INDEX "articles_project_doi_idx" ON "articles" USING btree ("project_id",left("doi", 256));--> statement-breakpoint
CREATE INDEX "articles_project_pmid_idx" ON "articles" USING btree ("project_id",left("pmid", 256));--> statement-breakpoint
-- to_tsvector refuses text whose words add up to more than 1 MB ("string is too long for tsvector"):
-- the search vector covers the first 100,000 characters of the title and abstract (400 kB at most, with
-- room for lower-casing to lengthen a few characters), so that an article of any length is stored.
CREATE OR REPLACE FUNCTION "article_search_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO article_search (article_id, search)
  VALUES (NEW.id, to_tsvector('simple', left(coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, ''), 100000)));
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE OR REPLACE FUNCTION "article_search_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE article_search SET search = to_tsvector('simple', left(coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, ''), 100000))
  WHERE article_id = NEW.id;
  RETURN NULL;
END
$$;
