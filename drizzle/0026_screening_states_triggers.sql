-- screening_states is kept by the writes themselves: every statement that writes human or resolution
-- decisions, moves records between duplicate clusters or deletes records recomputes the state of the
-- clusters it touched (the same query PRISMA ran over the whole project, restricted to those clusters),
-- in its own transaction. A cluster is recomputed under a transaction-scoped advisory lock of its
-- project and one of 256 stripes, and from a snapshot taken after the lock: of two writers on one
-- cluster (two reviewers, a reviewer and deduplication) the second waits for the first to commit, then
-- reads its decision. Writers must run at READ COMMITTED (a REPEATABLE READ snapshot would miss it).
CREATE FUNCTION refresh_screening_states(project uuid, article_ids uuid[], records uuid[]) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  locked uuid[] := '{}';
  stripes int[] := '{}';
  wanted uuid[];
  stripe int;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'decisions and duplicate links are written at READ COMMITTED (screening_states), not %', current_setting('transaction_isolation');
  END IF;
  -- The clusters the articles belong to may change while we wait for a lock (a deduplication that
  -- commits): read them again once locked, until no new one appears.
  LOOP
    SELECT array_agg(r) INTO wanted FROM (
      SELECT coalesce(a.duplicate_of, a.id) AS r FROM unnest(article_ids) i(id) JOIN articles a ON a.id = i.id
      UNION SELECT unnest(records)
      EXCEPT SELECT unnest(locked)) x;
    EXIT WHEN wanted IS NULL;
    FOR stripe IN SELECT DISTINCT hashtext(r::text) & 255 FROM unnest(wanted) r ORDER BY 1 LOOP
      IF NOT (stripe = ANY(stripes)) THEN
        PERFORM pg_advisory_xact_lock(hashtext('screening_states:' || project::text), stripe);
        stripes := stripes || stripe;
      END IF;
    END LOOP;
    locked := locked || wanted;
    records := '{}';
  END LOOP;
  PERFORM recompute_screening_states(project, locked);
END $$;
--> statement-breakpoint
-- The state of each given cluster (a record id), from the decisions and duplicate links as this statement sees them.
CREATE FUNCTION recompute_screening_states(project uuid, records uuid[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM screening_states s USING unnest(records) r(id) WHERE s.record_id = r.id;
  -- Planned at each call, for the number of records given (a cached plan made for one record would
  -- join 100,000 by nested loops).
  EXECUTE $q$
  INSERT INTO screening_states (record_id, stage, project_id, humans, lowest, highest, resolution, resolution_reason, exclusion_reasons)
  WITH live AS (
    SELECT a.id, a.project_id FROM unnest($1) r(id) JOIN articles a ON a.id = r.id WHERE a.duplicate_of IS NULL AND a.project_id = $2),
  members AS (
    SELECT id, id AS rid, project_id FROM live
    UNION ALL
    SELECT a.id, l.id, l.project_id FROM live l JOIN articles a ON a.duplicate_of = l.id),
  cur AS (
    SELECT DISTINCT ON (d.stage, m.rid, d.source, d.reviewer_id)
      d.stage, m.rid, m.project_id, d.source, d.reviewer_id, d.decision, d.reason, d.created_at
    FROM members m JOIN decisions d ON d.article_id = m.id AND d.project_id = m.project_id
    WHERE d.source IN ('human', 'resolution')
    ORDER BY d.stage, m.rid, d.source, d.reviewer_id, d.created_at DESC, d.id DESC)
  -- Per cluster and stage: the human reviewers and their lowest and highest decisions, the latest
  -- resolution (ties to the first resolver), and at full text the reasons of the human exclusions.
  SELECT rid, stage, project_id, count(*) FILTER (WHERE source = 'human')::int,
    min(decision) FILTER (WHERE source = 'human'), max(decision) FILTER (WHERE source = 'human'),
    (array_agg(decision ORDER BY created_at DESC, reviewer_id) FILTER (WHERE source = 'resolution'))[1],
    (array_agg(reason ORDER BY created_at DESC, reviewer_id) FILTER (WHERE source = 'resolution'))[1],
    (SELECT jsonb_object_agg(reason, n) FROM (SELECT reason, count(*)::int AS n FROM unnest(
      array_agg(reason) FILTER (WHERE stage = 'full_text' AND source = 'human' AND decision = 'exclude' AND reason <> '')) reason GROUP BY 1) tally)
  FROM cur GROUP BY rid, stage, project_id$q$ USING records, project;
END $$;
--> statement-breakpoint
-- Decisions: only human and resolution decisions make a state (imported labels and LLM suggestions are skipped at once).
CREATE FUNCTION decisions_screening_states() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  FOR changed IN SELECT project_id, array_agg(DISTINCT article_id) AS ids FROM changed_rows WHERE source IN ('human', 'resolution') GROUP BY 1 LOOP
    PERFORM refresh_screening_states(changed.project_id, changed.ids, '{}');
  END LOOP;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Articles: a record that joins or leaves a cluster changes the state of both clusters; a deleted record, of its cluster.
CREATE FUNCTION articles_screening_states() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    FOR changed IN
      SELECT n.project_id, array_agg(n.id) AS ids, array_agg(coalesce(o.duplicate_of, o.id)) || array_agg(coalesce(n.duplicate_of, n.id)) AS records
      FROM old_rows o JOIN new_rows n ON n.id = o.id
      WHERE n.duplicate_of IS DISTINCT FROM o.duplicate_of GROUP BY n.project_id
    LOOP
      PERFORM refresh_screening_states(changed.project_id, changed.ids, changed.records);
    END LOOP;
  ELSE
    FOR changed IN
      SELECT project_id, array_agg(DISTINCT coalesce(duplicate_of, id)) AS records FROM old_rows GROUP BY project_id
    LOOP
      PERFORM refresh_screening_states(changed.project_id, '{}', changed.records);
    END LOOP;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER decisions_inserted_screening_states AFTER INSERT ON decisions REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_screening_states();--> statement-breakpoint
-- An update (a reviewer's account deleted sets reviewer_id to null) changes the clusters of the rows before and after it.
CREATE TRIGGER decisions_updated_screening_states AFTER UPDATE ON decisions REFERENCING NEW TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_screening_states();--> statement-breakpoint
CREATE TRIGGER decisions_updated_before_screening_states AFTER UPDATE ON decisions REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_screening_states();--> statement-breakpoint
CREATE TRIGGER decisions_deleted_screening_states AFTER DELETE ON decisions REFERENCING OLD TABLE AS changed_rows
  FOR EACH STATEMENT EXECUTE FUNCTION decisions_screening_states();--> statement-breakpoint
CREATE TRIGGER articles_updated_screening_states AFTER UPDATE ON articles REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION articles_screening_states();--> statement-breakpoint
CREATE TRIGGER articles_deleted_screening_states AFTER DELETE ON articles REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION articles_screening_states();--> statement-breakpoint
-- The states of the records decided so far.
SELECT recompute_screening_states(p.id, ARRAY(
  SELECT DISTINCT coalesce(a.duplicate_of, a.id) FROM decisions d JOIN articles a ON a.id = d.article_id
  WHERE d.project_id = p.id AND d.source IN ('human', 'resolution')))
FROM projects p;
