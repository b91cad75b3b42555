/**
 * PRISMA 2020 flow-diagram counts of a project, from its source batches, its
 * duplicate links and its screening decisions (statuses as screening.ts
 * defines them: human reviewers and resolutions only).
 */
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, sourceBatches } from '../db/schema.ts'
import { loadStageDecisions, recordStatus, type RecordDecisions, type RecordStatus } from './screening.ts'
import { getScreeningSettings, type ScreeningSettings } from './screening-settings.ts'

/**
 * The reason a full-text exclusion is counted under: the resolution's, or
 * the most frequent among the excluding reviewers' reasons, ties going to the
 * reason listed first in the project's exclusion reasons (their order is the
 * project's priority), then alphabetically.
 */
export function exclusionReason(record: RecordDecisions | undefined, settings: ScreeningSettings): string | null {
  if (!record) return null
  if (record.resolution) return record.resolution.reason
  const counts = new Map<string, number>()
  for (const d of record.human) if (d.decision === 'exclude' && d.reason) counts.set(d.reason, (counts.get(d.reason) ?? 0) + 1)
  const rank = (r: string) => {
    const i = settings.exclusionReasons.indexOf(r)
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  return [...counts].sort((a, b) => b[1] - a[1] || rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))[0]?.[0] ?? null
}

/**
 * The database a record was found in: a primary of a duplicate cluster shows
 * the union of its cluster, its own value being then kept in `record`.
 */
const OWN_DATABASE = sql.raw('CASE WHEN record->\'columns\' ? \'sourceDatabase\' THEN record->\'columns\'->>\'sourceDatabase\' ELSE source_database END')

export const UNSPECIFIED_REASON = '(no reason given)'

export async function prismaCounts(db: Database, projectId: string) {
  const settings = await getScreeningSettings(db, projectId)
  const [sources, [{ duplicates }], [{ withoutBatch }], live, titleAbstract, fullText] = await Promise.all([
    // Each record under its own database (a file can mix several), a batch without records under its own.
    db.execute<{ kind: string; sourceDatabase: string | null; batches: number; records: number }>(sql`
      SELECT b.kind, coalesce(a.own_database, b.source_database) AS "sourceDatabase",
        count(DISTINCT b.id)::int AS batches, count(a.id)::int AS records
      FROM ${sourceBatches} b
      LEFT JOIN (SELECT id, batch_id, ${OWN_DATABASE} AS own_database FROM ${articles} WHERE project_id = ${projectId}) a ON a.batch_id = b.id
      WHERE b.project_id = ${projectId}
      GROUP BY 1, 2 ORDER BY 1, 2`).then((r) => r.rows),
    db.select({ duplicates: sql<number>`count(*)::int` }).from(articles).where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf))),
    db.select({ withoutBatch: sql<number>`count(*)::int` }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.batchId))),
    db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf))),
    loadStageDecisions(db, projectId, 'title_abstract'),
    loadStageDecisions(db, projectId, 'full_text')
  ])
  const identified = sources.map((s) => ({ kind: s.kind, sourceDatabase: s.sourceDatabase, batches: s.batches, records: s.records }))
  // Records added without an import or search (e.g. entered by hand) are identified "from other sources".
  if (withoutBatch > 0) identified.push({ kind: 'other', sourceDatabase: null, batches: 0, records: withoutBatch })

  const count = (statuses: RecordStatus[]) => {
    const out: Record<RecordStatus, number> = { awaiting: 0, conflict: 0, included: 0, excluded: 0, maybe: 0 }
    for (const s of statuses) out[s]++
    return out
  }
  const taStatuses = live.map((r) => recordStatus(titleAbstract.get(r.id), settings.reviewersPerRecord))
  const ta = count(taStatuses)
  // Records included, or marked "maybe", at title/abstract go on to full-text assessment.
  const sought = live.filter((_, i) => taStatuses[i] === 'included' || taStatuses[i] === 'maybe').map((r) => r.id)
  const ftStatuses = sought.map((id) => recordStatus(fullText.get(id), settings.reviewersPerRecord))
  const ft = count(ftStatuses)
  const reasons = new Map<string, number>()
  sought.forEach((id, i) => {
    if (ftStatuses[i] !== 'excluded') return
    const reason = exclusionReason(fullText.get(id), settings) ?? UNSPECIFIED_REASON
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1)
  })
  const order = (r: string) => {
    const i = settings.exclusionReasons.indexOf(r)
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  return {
    identification: {
      sources: identified,
      total: identified.reduce((s, r) => s + r.records, 0),
      duplicatesRemoved: duplicates,
      recordsAfterDuplicates: live.length
    },
    screening: {
      titleAbstract: {
        records: live.length,
        screened: ta.included + ta.excluded + ta.maybe,
        excluded: ta.excluded,
        included: ta.included,
        maybe: ta.maybe,
        awaiting: ta.awaiting,
        conflicts: ta.conflict
      },
      fullText: {
        soughtForRetrieval: sought.length,
        assessed: ft.included + ft.excluded + ft.maybe,
        excluded: ft.excluded,
        exclusionReasons: [...reasons].map(([reason, n]) => ({ reason, count: n }))
          .sort((a, b) => order(a.reason) - order(b.reason) || b.count - a.count || a.reason.localeCompare(b.reason)),
        included: ft.included,
        maybe: ft.maybe,
        awaiting: ft.awaiting,
        conflicts: ft.conflict
      }
    },
    included: ft.included
  }
}
