/**
 * PRISMA 2020 flow-diagram counts of a project, from its source batches, its
 * duplicate links and its screening decisions (statuses as screening.ts
 * defines them: human reviewers and resolutions only).
 */
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, prismaOverrides, projects, screeningStates, sourceBatches, sourceCounts } from '../db/schema.ts'
import { Invalid } from '../errors.ts'
import { diagramInput, prismaDiagramSvg, REGISTER, type ManualOverrides } from '../reporting/prisma-diagram.ts'
import { svgToPdf, svgToPng } from '../reporting/render.ts'
import type { RecordDecisions, RecordStatus } from './screening.ts'
import { getScreeningSettings, readScreeningSettings, type ScreeningSettings, type Stage } from './screening-settings.ts'

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

/** Where a source's records go in the diagram: databases and registers on the left, other methods on the right. */
export function sourceSide(kind: string, sourceDatabase: string | null): 'databases' | 'registers' | 'other' {
  if (kind === 'citations' || kind === 'identifiers' || kind === 'other') return 'other'
  return sourceDatabase && REGISTER.test(sourceDatabase) ? 'registers' : 'databases'
}

/** The boxes whose records `GET /prisma/records?box=` lists. */
export const PRISMA_BOXES = ['identified', 'duplicates', 'screened', 'screenedExcluded', 'sought', 'notRetrieved', 'assessed', 'excluded', 'included'] as const
export type PrismaBox = typeof PRISMA_BOXES[number]

const AUTOMATION_NOTE = 'AnalyLit removes no record by automation: models and LLMs only order or suggest, every exclusion is a reviewer\'s'

/**
 * Each live record's status at both stages, computed in PostgreSQL (the rules
 * of screening.ts `recordStatus`, and `exclusionReason` up to its last
 * tie-break): `ta`, `ft` (null unless the record went on to full text),
 * `has_ft` (any record of the cluster has a PDF) and, for a full-text
 * exclusion, `reasons` — the resolution's reason, else the reviewers' most
 * frequent reasons tied on count and on the project's order (usually one;
 * several only when unlisted reasons tie, which `pickReason` settles as
 * `exclusionReason` does). Read from `screening_states`, which the writes of
 * decisions and duplicate links keep (each cluster's current human decisions
 * summed up, its latest resolution, its full-text reasons counted), so that
 * the statuses depend here only on the screening settings.
 */
function statesSql(projectId: string, settings: ScreeningSettings) {
  return sql`
    st AS (
      SELECT record_id AS rid, stage, resolution IS NOT NULL AS resolved, resolution_reason, exclusion_reasons,
        CASE WHEN resolution IS NOT NULL THEN resolution::text
          WHEN lowest <> highest THEN 'conflict'
          WHEN humans < ${settings.reviewersPerRecord} THEN 'awaiting'
          ELSE lowest::text END AS status
      FROM ${screeningStates} WHERE project_id = ${projectId}),
    withft AS (
      SELECT DISTINCT coalesce(duplicate_of, id) AS id FROM ${articles} WHERE project_id = ${projectId} AND full_text_file_id IS NOT NULL)`
}

/** The reasons of a sought record whose full-text state (`ft`, of statesSql) says excluded; null otherwise. */
function reasonsSql(settings: ScreeningSettings) {
  const unspecified = sql`ARRAY[${UNSPECIFIED_REASON}::text]`
  return sql`CASE WHEN ft.status = 'exclude' THEN
    CASE WHEN ft.resolved THEN CASE WHEN ft.resolution_reason IS NULL THEN ${unspecified} ELSE ARRAY[ft.resolution_reason] END
    ELSE coalesce((SELECT array_agg(reason ORDER BY reason) FROM (
        SELECT key AS reason, rank() OVER (ORDER BY value::int DESC, coalesce(array_position(${sql.param(settings.exclusionReasons)}::text[], key), 2147483647)) AS place
        FROM jsonb_each_text(ft.exclusion_reasons)) tally WHERE place = 1), ${unspecified}) END
  END`
}

/** One row per live record (`flow`), for the records of a box. */
function flowSql(projectId: string, settings: ScreeningSettings) {
  return sql`
    WITH ${statesSql(projectId, settings)},
    flow AS (
      SELECT l.id, coalesce(ta.status, 'awaiting') AS ta,
        CASE WHEN ta.status IN ('include', 'maybe') THEN coalesce(ft.status, 'awaiting') END AS ft,
        w.id IS NOT NULL AS has_ft,
        CASE WHEN ta.status IN ('include', 'maybe') THEN ${reasonsSql(settings)} END AS reasons
      FROM ${articles} l
      LEFT JOIN st ta ON ta.stage = 'title_abstract' AND ta.rid = l.id
      LEFT JOIN st ft ON ft.stage = 'full_text' AND ft.rid = l.id
      LEFT JOIN withft w ON w.id = l.id
      WHERE l.project_id = ${projectId} AND l.duplicate_of IS NULL)`
}

/**
 * The records per status without reading every record: title/abstract
 * statuses of the records with a state (the others await), and the
 * full-text rows of the records sought, by status, PDF and reasons.
 */
function flowCountsSql(projectId: string, settings: ScreeningSettings) {
  return sql`
    WITH ${statesSql(projectId, settings)},
    sought AS (SELECT rid FROM st WHERE stage = 'title_abstract' AND status IN ('include', 'maybe'))
    SELECT 'title_abstract' AS stage, status, false AS has_ft, NULL::text[] AS reasons, count(*)::int AS n
    FROM st WHERE stage = 'title_abstract' GROUP BY status
    UNION ALL
    SELECT 'full_text', coalesce(ft.status, 'awaiting'), w.id IS NOT NULL, ${reasonsSql(settings)}, count(*)::int
    FROM sought s LEFT JOIN st ft ON ft.stage = 'full_text' AND ft.rid = s.rid LEFT JOIN withft w ON w.id = s.rid
    GROUP BY 2, 3, 4`
}

/** The decision values of the statuses flowSql gives, as RecordStatus names them. */
const STATUS: Record<string, RecordStatus> = { awaiting: 'awaiting', conflict: 'conflict', include: 'included', exclude: 'excluded', maybe: 'maybe' }

/** The reason among tied candidates that `exclusionReason` picks (unlisted reasons tie on the project's order: alphabetical). */
function pickReason(candidates: string[]): string {
  return candidates.length === 1 ? candidates[0] : [...candidates].sort((a, b) => a.localeCompare(b))[0]
}

type FlowCounts = Awaited<ReturnType<typeof computeFlowCounts>>

/**
 * The counts of the projects whose counts were asked for last, each
 * with the data version (`projects.data_version`, bumped in PostgreSQL by every
 * committed write to the project's articles or decisions, from any process) and
 * the screening settings it was computed at: a hit is the count at that
 * version, whichever process wrote since.
 */
const flowCache = new Map<string, { key: string; counts: FlowCounts }>()
const FLOW_CACHE_PROJECTS = 64

/** The boxes' sizes, from the cache when neither the project's data version nor its screening settings changed. */
async function flowCounts(db: Database, projectId: string): Promise<FlowCounts> {
  // One snapshot: the version read is the version of the data counted.
  return db.transaction(async (tx) => {
    // Source batches are written with their records (which bump the version), except a search that found nothing.
    const [row] = await tx.select({
      version: projects.dataVersion, settings: projects.screeningSettings,
      batches: sql<string>`(SELECT count(*) || ':' || coalesce(max(created_at)::text, '') FROM ${sourceBatches} WHERE project_id = ${projectId})`
    }).from(projects).where(eq(projects.id, projectId))
    const settings = readScreeningSettings(row?.settings)
    const key = `${row?.version ?? -1}:${row?.batches}:${JSON.stringify([settings.reviewersPerRecord, settings.exclusionReasons])}`
    const hit = flowCache.get(projectId)
    if (hit?.key === key) {
      flowCache.delete(projectId)
      flowCache.set(projectId, hit)
      return hit.counts
    }
    const counts = await computeFlowCounts(tx, projectId, settings)
    flowCache.delete(projectId)
    flowCache.set(projectId, { key, counts })
    if (flowCache.size > FLOW_CACHE_PROJECTS) flowCache.delete(flowCache.keys().next().value!)
    return counts
  }, { isolationLevel: 'repeatable read', accessMode: 'read only' })
}

/** The boxes' sizes: live records grouped by status at both stages, and full-text exclusions by reason. */
async function computeFlowCounts(db: Pick<Database, 'execute' | 'select'>, projectId: string, settings: ScreeningSettings) {
  // Each record under its own database (a file can mix several), a batch without records under its own:
  // from the records per batch and database that the writes of articles keep (source_counts).
  const sources = await db.execute<{ kind: string; sourceDatabase: string | null; batches: number; records: number }>(sql`
      SELECT b.kind, coalesce(c.own_database, b.source_database) AS "sourceDatabase",
        count(DISTINCT b.id)::int AS batches, coalesce(sum(c.records), 0)::int AS records
      FROM ${sourceBatches} b
      LEFT JOIN ${sourceCounts} c ON c.batch_id = b.id AND c.project_id = ${projectId} AND c.records > 0
      WHERE b.project_id = ${projectId}
      GROUP BY 1, 2 ORDER BY 1, 2`).then((r) => r.rows)
  const [{ duplicates }] = await db.select({ duplicates: sql<number>`count(*)::int` }).from(articles).where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf)))
  const [{ withoutBatch }] = await db.select({ withoutBatch: sql<number>`count(*)::int` }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.batchId)))
  const [{ live }] = await db.select({ live: sql<number>`count(*)::int` }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf)))
  const { rows } = await db.execute<{ stage: Stage; status: string; has_ft: boolean; reasons: string[] | null; n: number }>(flowCountsSql(projectId, settings))
  const zero = (): Record<RecordStatus, number> => ({ awaiting: 0, conflict: 0, included: 0, excluded: 0, maybe: 0 })
  const ta = zero()
  const ft = zero()
  const records = live
  // Live records without a title/abstract state await their first decision.
  ta.awaiting = live
  let notRetrieved = 0
  const reasons = new Map<string, number>()
  for (const r of rows) {
    if (r.stage === 'title_abstract') {
      ta[STATUS[r.status]] += r.n
      ta.awaiting -= r.n
      continue
    }
    ft[STATUS[r.status]] += r.n
    if (!r.has_ft) notRetrieved += r.n
    if (r.reasons) {
      const reason = pickReason(r.reasons)
      reasons.set(reason, (reasons.get(reason) ?? 0) + r.n)
    }
  }
  const sought = ta.included + ta.maybe
  return {
    settings,
    sources,
    duplicates,
    withoutBatch,
    records,
    ta: { counts: ta, screened: ta.included + ta.excluded + ta.maybe },
    ft: { counts: ft, sought, notRetrieved, assessed: ft.included + ft.excluded + ft.maybe, reasons }
  }
}

/** The ids of the live records in one box (ordered by id), with the reason for `excluded`. */
async function flowIds(db: Database, projectId: string, box: Exclude<PrismaBox, 'identified' | 'duplicates'>, reason?: string): Promise<string[]> {
  const settings = await getScreeningSettings(db, projectId)
  const where = {
    screened: sql`ta IN ('include', 'exclude', 'maybe')`,
    screenedExcluded: sql`ta = 'exclude'`,
    sought: sql`ft IS NOT NULL`,
    notRetrieved: sql`ft IS NOT NULL AND NOT has_ft`,
    assessed: sql`ft IN ('include', 'exclude', 'maybe')`,
    excluded: sql`ft = 'exclude'`,
    included: sql`ft = 'include'`
  }[box]
  const { rows } = await db.execute<{ id: string; reasons: string[] | null }>(sql`
    ${flowSql(projectId, settings)}
    SELECT id, reasons FROM flow WHERE ${where} ORDER BY id`)
  return rows.filter((r) => box !== 'excluded' || reason === undefined || pickReason(r.reasons ?? [UNSPECIFIED_REASON]) === reason).map((r) => r.id)
}

/** Each batch's records per database (a mixed file gives one row per database it holds). */
export async function batchSources(db: Database, projectId: string) {
  const rows = await db.execute<{ kind: string; sourceDatabase: string | null; fileName: string | null; records: number; date: Date | string }>(sql`
    SELECT b.kind, coalesce(a.own_database, b.source_database) AS "sourceDatabase", b.file_name AS "fileName", count(a.id)::int AS records, b.created_at AS date
    FROM ${sourceBatches} b
    LEFT JOIN (SELECT id, batch_id, ${OWN_DATABASE} AS own_database FROM ${articles} WHERE project_id = ${projectId}) a ON a.batch_id = b.id
    WHERE b.project_id = ${projectId}
    GROUP BY b.id, 2 ORDER BY b.created_at, 2`)
  return rows.rows
}

export async function prismaCounts(db: Database, projectId: string) {
  const base = `/api/projects/${projectId}/prisma/records`
  const link = (box: PrismaBox, extra: Record<string, string | null> = {}) => {
    const query = new URLSearchParams({ box })
    for (const [k, v] of Object.entries(extra)) query.set(k, v ?? '')
    return `${base}?${query}`
  }
  const [f, [stored]] = await Promise.all([
    flowCounts(db, projectId),
    db.select({ overrides: prismaOverrides.overrides }).from(prismaOverrides).where(eq(prismaOverrides.projectId, projectId))
  ])
  const { sources, duplicates, withoutBatch } = f
  const identified = sources.map((s) => ({ kind: s.kind, sourceDatabase: s.sourceDatabase, batches: s.batches, records: s.records }))
  // Records added without an import or search (e.g. entered by hand) are identified "from other sources".
  if (withoutBatch > 0) identified.push({ kind: 'other', sourceDatabase: null, batches: 0, records: withoutBatch })
  const ta = f.ta.counts
  const ft = f.ft.counts
  const order = (r: string) => {
    const i = f.settings.exclusionReasons.indexOf(r)
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  return {
    identification: {
      sources: identified.map((s) => ({ ...s, side: sourceSide(s.kind, s.sourceDatabase), records_url: link('identified', { kind: s.kind, database: s.sourceDatabase }) })),
      total: identified.reduce((s, r) => s + r.records, 0),
      duplicatesRemoved: duplicates,
      recordsAfterDuplicates: f.records,
      removedByAutomation: 0,
      automationNote: AUTOMATION_NOTE
    },
    screening: {
      titleAbstract: {
        records: f.records,
        screened: f.ta.screened,
        excluded: ta.excluded,
        included: ta.included,
        maybe: ta.maybe,
        awaiting: ta.awaiting,
        conflicts: ta.conflict
      },
      fullText: {
        soughtForRetrieval: f.ft.sought,
        notRetrieved: f.ft.notRetrieved,
        assessed: f.ft.assessed,
        excluded: ft.excluded,
        exclusionReasons: [...f.ft.reasons].map(([reason, count]) => ({ reason, count, records_url: link('excluded', { reason }) }))
          .sort((a, b) => order(a.reason) - order(b.reason) || b.count - a.count || a.reason.localeCompare(b.reason)),
        included: ft.included,
        maybe: ft.maybe,
        awaiting: ft.awaiting,
        conflicts: ft.conflict
      }
    },
    included: ft.included,
    /** The query listing each box's records. */
    records: Object.fromEntries(PRISMA_BOXES.filter((b) => b !== 'identified').map((b) => [b, link(b)])) as Record<Exclude<PrismaBox, 'identified'>, string>,
    overrides: (stored?.overrides ?? {}) as ManualOverrides
  }
}

export interface PrismaRecordsQuery { box: PrismaBox; kind?: string; database?: string; reason?: string; offset?: number; limit?: number }

/** The ids of the records counted in a box (for `identified`, of one source: kind and database, '' for none). */
export async function prismaRecords(db: Database, projectId: string, q: PrismaRecordsQuery) {
  let ids: string[]
  if (q.box === 'identified') {
    if (q.kind === undefined) throw new Invalid('box=identified needs the kind of source (and its database), as the counts\' records_url give them', 'kind')
    const database = q.database ? sql`= ${q.database}` : sql`IS NULL`
    const rows = q.kind === 'other'
      ? await db.execute<{ id: string }>(sql`SELECT id FROM ${articles} WHERE project_id = ${projectId} AND batch_id IS NULL ORDER BY created_at, id`)
      : await db.execute<{ id: string }>(sql`SELECT a.id FROM (SELECT id, batch_id, created_at, source_index, ${OWN_DATABASE} AS own_database
          FROM ${articles} WHERE project_id = ${projectId}) a JOIN ${sourceBatches} b ON b.id = a.batch_id
          WHERE b.project_id = ${projectId} AND b.kind = ${q.kind} AND coalesce(a.own_database, b.source_database) ${database}
          ORDER BY a.created_at, a.source_index, a.id`)
    ids = rows.rows.map((r) => r.id)
  } else if (q.box === 'duplicates') {
    ids = (await db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), isNotNull(articles.duplicateOf)))
      .orderBy(articles.createdAt, articles.id)).map((r) => r.id)
  } else {
    ids = await flowIds(db, projectId, q.box, q.reason)
  }
  const offset = q.offset ?? 0
  const limit = q.limit ?? 1000
  return { box: q.box, total: ids.length, offset, ids: ids.slice(offset, offset + limit) }
}

/** The project's manual overrides, replaced whole. */
export async function setPrismaOverrides(db: Database, projectId: string, overrides: ManualOverrides, userId: string): Promise<ManualOverrides> {
  const notes = [overrides.automation, overrides.otherRemoved, overrides.notRetrieved, overrides.studiesIncluded, overrides.previous?.studies,
    overrides.previous?.reports, ...(overrides.otherSources ?? []).map((s) => s.n)]
  if (notes.some((o) => o && !o.note.trim())) throw new Invalid('every count entered by hand needs a note saying where it comes from', 'note')
  await db.insert(prismaOverrides).values({ projectId, overrides, updatedBy: userId })
    .onConflictDoUpdate({ target: prismaOverrides.projectId, set: { overrides, updatedBy: userId, updatedAt: sql`now()` } })
  return overrides
}

/** The flow diagram of the project, from its counts and its overrides, as SVG, PNG or PDF. */
export async function prismaDiagram(db: Database, projectId: string, format: 'svg' | 'png' | 'pdf'): Promise<string | Buffer> {
  const [counts, [project]] = await Promise.all([prismaCounts(db, projectId), db.select({ name: projects.name }).from(projects).where(eq(projects.id, projectId))])
  const svg = prismaDiagramSvg(diagramInput(counts, counts.overrides), { title: project?.name })
  return format === 'svg' ? svg : format === 'png' ? svgToPng(svg) : svgToPdf(svg)
}
