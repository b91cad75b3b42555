-- source_counts is kept by every statement that inserts, deletes or re-tags articles: the records it
-- added and removed per (batch, own database, project), added to the rows in its transaction
-- (INSERT … ON CONFLICT adds to the committed count, so concurrent imports add up), in key order.
CREATE FUNCTION article_own_database(record jsonb, source_database text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN record->'columns' ? 'sourceDatabase' THEN record->'columns'->>'sourceDatabase' ELSE source_database END
$$;--> statement-breakpoint
CREATE FUNCTION add_source_counts(deltas jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO source_counts (batch_id, own_database, project_id, records)
  SELECT (d->>'batch_id')::uuid, d->>'own_database', (d->>'project_id')::uuid, (d->>'n')::int FROM jsonb_array_elements(deltas) d
  WHERE (d->>'n')::int <> 0
  ORDER BY 1, 2, 3
  ON CONFLICT ON CONSTRAINT source_counts_key DO UPDATE SET records = source_counts.records + excluded.records;
  DELETE FROM source_counts c USING jsonb_array_elements(deltas) d
  WHERE c.records = 0 AND c.batch_id = (d->>'batch_id')::uuid AND c.own_database IS NOT DISTINCT FROM d->>'own_database' AND c.project_id = (d->>'project_id')::uuid;
END $$;--> statement-breakpoint
CREATE FUNCTION articles_source_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  deltas jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT batch_id, article_own_database(record, source_database) AS own_database, project_id, count(*) AS n
      FROM new_rows WHERE batch_id IS NOT NULL GROUP BY 1, 2, 3) x;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT batch_id, article_own_database(record, source_database) AS own_database, project_id, -count(*) AS n
      FROM old_rows WHERE batch_id IS NOT NULL GROUP BY 1, 2, 3) x;
  ELSE
    SELECT jsonb_agg(x) INTO deltas FROM (
      SELECT batch_id, own_database, project_id, sum(n) AS n FROM (
        SELECT o.batch_id, article_own_database(o.record, o.source_database) AS own_database, o.project_id, -1 AS n
        FROM old_rows o JOIN new_rows r ON r.id = o.id
        WHERE o.batch_id IS NOT NULL AND (r.batch_id IS DISTINCT FROM o.batch_id OR r.project_id <> o.project_id
          OR article_own_database(r.record, r.source_database) IS DISTINCT FROM article_own_database(o.record, o.source_database))
        UNION ALL
        SELECT r.batch_id, article_own_database(r.record, r.source_database), r.project_id, 1
        FROM old_rows o JOIN new_rows r ON r.id = o.id
        WHERE r.batch_id IS NOT NULL AND (r.batch_id IS DISTINCT FROM o.batch_id OR r.project_id <> o.project_id
          OR article_own_database(r.record, r.source_database) IS DISTINCT FROM article_own_database(o.record, o.source_database))) m
      GROUP BY 1, 2, 3) x;
  END IF;
  IF deltas IS NOT NULL THEN
    PERFORM add_source_counts(deltas);
  END IF;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER articles_inserted_source_counts AFTER INSERT ON articles REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION articles_source_counts();--> statement-breakpoint
CREATE TRIGGER articles_updated_source_counts AFTER UPDATE ON articles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION articles_source_counts();--> statement-breakpoint
CREATE TRIGGER articles_deleted_source_counts AFTER DELETE ON articles REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION articles_source_counts();--> statement-breakpoint
INSERT INTO source_counts (batch_id, own_database, project_id, records)
SELECT batch_id, article_own_database(record, source_database), project_id, count(*) FROM articles WHERE batch_id IS NOT NULL GROUP BY 1, 2, 3;
