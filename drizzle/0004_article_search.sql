CREATE TABLE "article_search" (
	"article_id" uuid PRIMARY KEY NOT NULL,
	"search" "tsvector" NOT NULL
);
--> statement-breakpoint
ALTER TABLE "article_search" ADD CONSTRAINT "article_search_article_id_articles_id_fk" FOREIGN KEY ("article_id") REFERENCES "public"."articles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
INSERT INTO "article_search" ("article_id", "search") SELECT "id", "search" FROM "articles";--> statement-breakpoint
CREATE INDEX "article_search_idx" ON "article_search" USING gin ("search");--> statement-breakpoint
DROP INDEX "articles_search_idx";--> statement-breakpoint
ALTER TABLE "articles" DROP COLUMN "search";--> statement-breakpoint
-- The search vector follows its article: written with every new row (COPY included), rewritten only
-- when the title or the abstract changes, deleted with the article (foreign key).
CREATE FUNCTION "article_search_insert"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO article_search (article_id, search)
  VALUES (NEW.id, to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, '')));
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "articles_search_insert" AFTER INSERT ON "articles"
  FOR EACH ROW EXECUTE FUNCTION "article_search_insert"();--> statement-breakpoint
CREATE FUNCTION "article_search_update"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE article_search SET search = to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.abstract, ''))
  WHERE article_id = NEW.id;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "articles_search_update" AFTER UPDATE OF "title", "abstract" ON "articles"
  FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title OR OLD.abstract IS DISTINCT FROM NEW.abstract)
  EXECUTE FUNCTION "article_search_update"();
