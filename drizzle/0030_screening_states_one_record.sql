-- A decision recomputes the state of one record; planning recompute_screening_states' query at every
-- call (needed for the 100,000 records of a deduplication) cost more than running it. The query now
-- lives in one SQL function that both paths inline: a few records use PL/pgSQL's cached plan, many
-- records a plan made for their number.
CREATE FUNCTION screening_state_rows(records uuid[], project uuid)
RETURNS TABLE (record_id uuid, stage screening_stage, project_id uuid, humans int, lowest decision_value, highest decision_value,
  resolution decision_value, resolution_reason text, exclusion_reasons jsonb)
LANGUAGE sql STABLE AS $$
  WITH live AS (
    SELECT a.id, a.project_id FROM unnest(records) r(id) JOIN articles a ON a.id = r.id WHERE a.duplicate_of IS NULL AND a.project_id = project),
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
  FROM cur GROUP BY rid, stage, project_id
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION recompute_screening_states(project uuid, records uuid[]) RETURNS void LANGUAGE plpgsql
  SET plan_cache_mode = force_generic_plan AS $$
BEGIN
  DELETE FROM screening_states s USING unnest(records) r(id) WHERE s.record_id = r.id;
  IF cardinality(records) <= 16 THEN
    INSERT INTO screening_states (record_id, stage, project_id, humans, lowest, highest, resolution, resolution_reason, exclusion_reasons)
    SELECT * FROM screening_state_rows(records, project);
  ELSE
    -- Planned at each call, for the number of records given (a plan cached for one record would
    -- join 100,000 by nested loops).
    EXECUTE 'INSERT INTO screening_states (record_id, stage, project_id, humans, lowest, highest, resolution, resolution_reason, exclusion_reasons)
      SELECT * FROM screening_state_rows($1, $2)' USING records, project;
  END IF;
END $$;
