/**
 * PRISMA 2020 flow-diagram counts of a project, from its source batches, its
 * duplicate links and its screening decisions (statuses as screening.ts
 * defines them: human reviewers and resolutions only).
 */
import { and, eq, isNotNull, isNull, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, prismaOverrides, projects, sourceBatches } from '../db/schema.ts'
import { Invalid } from '../errors.ts'
import { diagramInput, prismaDiagramSvg, REGISTER, type ManualOverrides } from '../reporting/prisma-diagram.ts'
import { svgToPdf, svgToPng } from '../reporting/render.ts'
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

/** Where a source's records go in the diagram: databases and registers on the left, other methods on the right. */
export function sourceSide(kind: string, sourceDatabase: string | null): 'databases' | 'registers' | 'other' {
  if (kind === 'citations' || kind === 'identifiers' || kind === 'other') return 'other'
  return sourceDatabase && REGISTER.test(sourceDatabase) ? 'registers' : 'databases'
}

/** The boxes whose records `GET /prisma/records?box=` lists. */
export const PRISMA_BOXES = ['identified', 'duplicates', 'screened', 'screenedExcluded', 'sought', 'notRetrieved', 'assessed', 'excluded', 'included'] as const
export type PrismaBox = typeof PRISMA_BOXES[number]

const AUTOMATION_NOTE = 'AnalyLit removes no record by automation: models and LLMs only order or suggest, every exclusion is a reviewer\'s'

/** Each box's record ids (a duplicate cluster is its primary's id), from the decisions as they stand. */
async function flow(db: Database, projectId: string) {
  const settings = await getScreeningSettings(db, projectId)
  const [live, titleAbstract, fullText, withFullText] = await Promise.all([
    db.select({ id: articles.id }).from(articles).where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf))),
    loadStageDecisions(db, projectId, 'title_abstract'),
    loadStageDecisions(db, projectId, 'full_text'),
    // A cluster has its full text when any of its records has a PDF attached.
    db.execute<{ id: string }>(sql`SELECT DISTINCT coalesce(duplicate_of, id) AS id FROM ${articles}
      WHERE project_id = ${projectId} AND full_text_file_id IS NOT NULL`).then((r) => new Set(r.rows.map((x) => x.id)))
  ])
  const ids = live.map((r) => r.id)
  const taStatuses = ids.map((id) => recordStatus(titleAbstract.get(id), settings.reviewersPerRecord))
  const byStatus = (list: string[], statuses: RecordStatus[], wanted: RecordStatus[]) => list.filter((_, i) => wanted.includes(statuses[i]))
  // Records included, or marked "maybe", at title/abstract go on to full-text assessment.
  const sought = byStatus(ids, taStatuses, ['included', 'maybe'])
  const ftStatuses = sought.map((id) => recordStatus(fullText.get(id), settings.reviewersPerRecord))
  const excluded = byStatus(sought, ftStatuses, ['excluded'])
  const reasons = new Map<string, string[]>()
  for (const id of excluded) {
    const reason = exclusionReason(fullText.get(id), settings) ?? UNSPECIFIED_REASON
    const list = reasons.get(reason)
    if (list) list.push(id)
    else reasons.set(reason, [id])
  }
  return {
    settings,
    ids,
    ta: { statuses: taStatuses, screened: byStatus(ids, taStatuses, ['included', 'excluded', 'maybe']), excluded: byStatus(ids, taStatuses, ['excluded']) },
    ft: {
      statuses: ftStatuses,
      sought,
      notRetrieved: sought.filter((id) => !withFullText.has(id)),
      assessed: byStatus(sought, ftStatuses, ['included', 'excluded', 'maybe']),
      excluded,
      reasons,
      included: byStatus(sought, ftStatuses, ['included'])
    }
  }
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
  const [sources, [{ duplicates }], [{ withoutBatch }], f, [stored]] = await Promise.all([
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
    flow(db, projectId),
    db.select({ overrides: prismaOverrides.overrides }).from(prismaOverrides).where(eq(prismaOverrides.projectId, projectId))
  ])
  const identified = sources.map((s) => ({ kind: s.kind, sourceDatabase: s.sourceDatabase, batches: s.batches, records: s.records }))
  // Records added without an import or search (e.g. entered by hand) are identified "from other sources".
  if (withoutBatch > 0) identified.push({ kind: 'other', sourceDatabase: null, batches: 0, records: withoutBatch })
  const count = (statuses: RecordStatus[]) => {
    const out: Record<RecordStatus, number> = { awaiting: 0, conflict: 0, included: 0, excluded: 0, maybe: 0 }
    for (const s of statuses) out[s]++
    return out
  }
  const ta = count(f.ta.statuses)
  const ft = count(f.ft.statuses)
  const order = (r: string) => {
    const i = f.settings.exclusionReasons.indexOf(r)
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  return {
    identification: {
      sources: identified.map((s) => ({ ...s, side: sourceSide(s.kind, s.sourceDatabase), records_url: link('identified', { kind: s.kind, database: s.sourceDatabase }) })),
      total: identified.reduce((s, r) => s + r.records, 0),
      duplicatesRemoved: duplicates,
      recordsAfterDuplicates: f.ids.length,
      removedByAutomation: 0,
      automationNote: AUTOMATION_NOTE
    },
    screening: {
      titleAbstract: {
        records: f.ids.length,
        screened: f.ta.screened.length,
        excluded: f.ta.excluded.length,
        included: ta.included,
        maybe: ta.maybe,
        awaiting: ta.awaiting,
        conflicts: ta.conflict
      },
      fullText: {
        soughtForRetrieval: f.ft.sought.length,
        notRetrieved: f.ft.notRetrieved.length,
        assessed: f.ft.assessed.length,
        excluded: f.ft.excluded.length,
        exclusionReasons: [...f.ft.reasons].map(([reason, ids]) => ({ reason, count: ids.length, records_url: link('excluded', { reason }) }))
          .sort((a, b) => order(a.reason) - order(b.reason) || b.count - a.count || a.reason.localeCompare(b.reason)),
        included: ft.included,
        maybe: ft.maybe,
        awaiting: ft.awaiting,
        conflicts: ft.conflict
      }
    },
    included: f.ft.included.length,
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
    const f = await flow(db, projectId)
    const boxes: Record<Exclude<PrismaBox, 'identified' | 'duplicates'>, string[]> = {
      screened: f.ta.screened, screenedExcluded: f.ta.excluded, sought: f.ft.sought, notRetrieved: f.ft.notRetrieved,
      assessed: f.ft.assessed, excluded: q.reason === undefined ? f.ft.excluded : f.ft.reasons.get(q.reason) ?? [], included: f.ft.included
    }
    ids = boxes[q.box]
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
