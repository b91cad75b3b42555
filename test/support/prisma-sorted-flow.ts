/**
 * PRISMA's statuses as they were computed before the writes kept `screening_states`: every human and
 * resolution decision of the project sorted per record and reviewer, in one query over the whole
 * project. Kept as the reference a full recomputation gives (test/app/prisma-states.test.ts) and as the
 * former cost (bench/prisma.ts).
 */
import { sql } from 'drizzle-orm'
import type { Database } from '../../src/db/index.ts'
import { articles, decisions } from '../../src/db/schema.ts'
import { UNSPECIFIED_REASON } from '../../src/services/prisma.ts'
import type { ScreeningSettings } from '../../src/services/screening-settings.ts'

function sortedFlowSql(projectId: string, settings: ScreeningSettings) {
  const unspecified = sql`ARRAY[${UNSPECIFIED_REASON}::text]`
  return sql`
    WITH cur AS (
      SELECT DISTINCT ON (d.stage, coalesce(a.duplicate_of, a.id), d.source, d.reviewer_id)
        d.stage, coalesce(a.duplicate_of, a.id) AS rid, d.source, d.reviewer_id, d.decision, d.reason, d.created_at
      FROM ${decisions} d JOIN ${articles} a ON a.id = d.article_id
      WHERE d.project_id = ${projectId} AND d.source IN ('human', 'resolution')
      ORDER BY d.stage, 2, d.source, d.reviewer_id, d.created_at DESC, d.id DESC),
    res AS (
      SELECT DISTINCT ON (stage, rid) stage, rid, decision, reason FROM cur WHERE source = 'resolution'
      ORDER BY stage, rid, created_at DESC, reviewer_id),
    hum AS (
      SELECT stage, rid, count(*) AS n, min(decision) AS lo, max(decision) AS hi FROM cur WHERE source = 'human' GROUP BY stage, rid),
    st AS (
      SELECT stage, rid, res.rid IS NOT NULL AS resolved, res.reason AS resolution_reason,
        CASE WHEN res.rid IS NOT NULL THEN res.decision::text
          WHEN hum.lo <> hum.hi THEN 'conflict'
          WHEN hum.n < ${settings.reviewersPerRecord} THEN 'awaiting'
          ELSE hum.lo::text END AS status
      FROM hum FULL JOIN res USING (stage, rid)),
    tally AS (
      SELECT rid, reason, rank() OVER (PARTITION BY rid ORDER BY count(*) DESC,
        coalesce(array_position(${sql.param(settings.exclusionReasons)}::text[], reason), 2147483647)) AS place
      FROM cur WHERE stage = 'full_text' AND source = 'human' AND decision = 'exclude' AND reason <> ''
      GROUP BY rid, reason),
    best AS (SELECT rid, array_agg(reason ORDER BY reason) AS reasons FROM tally WHERE place = 1 GROUP BY rid),
    withft AS (
      SELECT DISTINCT coalesce(duplicate_of, id) AS id FROM ${articles} WHERE project_id = ${projectId} AND full_text_file_id IS NOT NULL),
    flow AS (
      SELECT l.id, coalesce(ta.status, 'awaiting') AS ta,
        CASE WHEN ta.status IN ('include', 'maybe') THEN coalesce(ft.status, 'awaiting') END AS ft,
        w.id IS NOT NULL AS has_ft,
        CASE WHEN ta.status IN ('include', 'maybe') AND ft.status = 'exclude' THEN
          CASE WHEN ft.resolved THEN CASE WHEN ft.resolution_reason IS NULL THEN ${unspecified} ELSE ARRAY[ft.resolution_reason] END ELSE coalesce(b.reasons, ${unspecified}) END
        END AS reasons
      FROM ${articles} l
      LEFT JOIN st ta ON ta.stage = 'title_abstract' AND ta.rid = l.id
      LEFT JOIN st ft ON ft.stage = 'full_text' AND ft.rid = l.id
      LEFT JOIN best b ON b.rid = l.id
      LEFT JOIN withft w ON w.id = l.id
      WHERE l.project_id = ${projectId} AND l.duplicate_of IS NULL)`
}

type Status = 'awaiting' | 'conflict' | 'include' | 'exclude' | 'maybe'

/** The live records per status at both stages, the sought ones without a PDF, and the full-text exclusions per reason. */
export async function sortedFlowCounts(db: Pick<Database, 'execute'>, projectId: string, settings: ScreeningSettings) {
  const { rows } = await db.execute<{ ta: Status; ft: Status | null; has_ft: boolean; reasons: string[] | null; n: number }>(sql`
    ${sortedFlowSql(projectId, settings)}
    SELECT ta, ft, has_ft, reasons, count(*)::int AS n FROM flow GROUP BY 1, 2, 3, 4`)
  const zero = (): Record<Status, number> => ({ awaiting: 0, conflict: 0, include: 0, exclude: 0, maybe: 0 })
  const counts = { ta: zero(), ft: zero(), sought: 0, notRetrieved: 0, reasons: {} as Record<string, number> }
  for (const r of rows) {
    counts.ta[r.ta] += r.n
    if (r.ft === null) continue
    counts.sought += r.n
    counts.ft[r.ft] += r.n
    if (!r.has_ft) counts.notRetrieved += r.n
    // Reasons tied among those the project does not list go alphabetical, as exclusionReason settles them.
    if (r.reasons) {
      const reason = [...r.reasons].sort((a, b) => a.localeCompare(b))[0]
      counts.reasons[reason] = (counts.reasons[reason] ?? 0) + r.n
    }
  }
  return counts
}
