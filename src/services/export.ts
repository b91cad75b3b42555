/**
 * Streams a project's records with their current decisions as export items,
 * page by page, so that exporting 100,000 records keeps memory flat.
 */
import { and, asc, eq, gt, isNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles } from '../db/schema.ts'
import { PassThrough } from 'node:stream'
import { EXPORT_FORMATS, writeExport, type ExportDecision, type ExportFormatId, type ExportItem } from '../export/index.ts'
import type { LabelDecision, LabelReviewer } from '../references/label-block.ts'
import { rowToRecord } from './articles.ts'
import type { ReviewExport } from './export-review.ts'

export interface ExportFilter {
  /** Only records whose current decision at `stage` is this ('undecided': none yet). */
  decision?: 'include' | 'exclude' | 'maybe' | 'undecided'
  stage: 'title_abstract' | 'full_text'
  includeDuplicates: boolean
  /** Blind screening: export only this reviewer's own decisions. */
  ownDecisionsOf?: string
  /** Only these records (article ids). */
  onlyIds?: readonly string[]
}

const STAGES: readonly string[] = ['title_abstract', 'full_text']
const PAGE = 1000

type CurrentRow = {
  article_id: string
  stage: string
  decision: LabelDecision['decision']
  reason: string | null
  note: string | null
  tags: string[]
  source: string
  origin: { reviewer?: LabelReviewer; source?: string; at?: string } | null
  created_at: Date | string
  email: string | null
  name: string | null
  kind: string | null
}

/**
 * The current decisions on each article: the latest of each reviewer (human
 * or LLM) at each stage, the latest resolution, and the latest imported
 * label of each original reviewer, oldest first. Imported labels carry their
 * original reviewer, source and date (`origin`) on.
 */
async function currentDecisions(db: Database, articleIds: string[], ownDecisionsOf?: string): Promise<Map<string, Array<LabelDecision & { createdAt: Date }>>> {
  const own = ownDecisionsOf ? sql`AND d.reviewer_id = ${ownDecisionsOf}` : sql``
  const rows = (await db.execute<CurrentRow>(sql`
    SELECT * FROM (
      SELECT DISTINCT ON (d.article_id, d.stage, d.source, d.reviewer_id, d.origin->'reviewer', d.origin->>'source')
        d.article_id, d.stage, d.decision, d.reason, d.note, d.tags, d.source, d.origin, d.created_at, u.email, u.name, u.kind
      FROM decisions d LEFT JOIN users u ON u.id = d.reviewer_id
      WHERE d.article_id IN ${articleIds} ${own}
      ORDER BY d.article_id, d.stage, d.source, d.reviewer_id, d.origin->'reviewer', d.origin->>'source', d.created_at DESC, d.id DESC
    ) c ORDER BY c.article_id, c.created_at`)).rows
  const byArticle = new Map<string, Array<LabelDecision & { createdAt: Date }>>()
  for (const r of rows) {
    const imported = r.source === 'import' && r.origin ? r.origin : undefined
    const reviewer = imported ? imported.reviewer : r.email || r.name ? {
      ...(r.email ? { email: r.email } : {}), ...(r.name ? { name: r.name } : {}), ...(r.kind ? { kind: r.kind } : {})
    } : undefined
    // Imported labels were entered together: their original dates say which came last.
    const createdAt = imported?.at && Number.isFinite(Date.parse(imported.at)) ? new Date(imported.at) : new Date(r.created_at)
    const list = byArticle.get(r.article_id) ?? []
    list.push({
      stage: r.stage, decision: r.decision, createdAt,
      ...(r.reason ? { reason: r.reason } : {}), ...(r.note ? { note: r.note } : {}), ...(r.tags.length ? { tags: r.tags } : {}),
      source: imported?.source ?? r.source,
      ...(reviewer ? { reviewer } : {}),
      at: imported?.at ?? createdAt.toISOString()
    })
    byArticle.set(r.article_id, list)
  }
  return byArticle
}

export async function* exportItems(db: Database, projectId: string, filter: ExportFilter, review?: ReviewExport): AsyncGenerator<ExportItem> {
  const own = filter.ownDecisionsOf ? sql`AND d.reviewer_id = ${filter.ownDecisionsOf}` : sql``
  const latestAtStage = sql`(SELECT d.decision::text FROM decisions d WHERE d.article_id = ${articles.id} AND d.stage = ${filter.stage} ${own}
    ORDER BY d.created_at DESC, d.id DESC LIMIT 1)`
  const where: SQL[] = [eq(articles.projectId, projectId)]
  if (!filter.includeDuplicates) where.push(isNull(articles.duplicateOf))
  if (filter.onlyIds) where.push(sql`${articles.id} = ANY(${sql.param(filter.onlyIds)}::uuid[])`)
  if (filter.decision === 'undecided') where.push(sql`${latestAtStage} IS NULL`)
  else if (filter.decision) where.push(sql`${latestAtStage} = ${filter.decision}`)

  let after: string | undefined
  for (;;) {
    const rows = await db.select().from(articles)
      .where(and(...where, ...(after ? [gt(articles.id, after)] : [])))
      .orderBy(asc(articles.id)).limit(PAGE)
    if (rows.length === 0) return
    after = rows[rows.length - 1].id
    const current = await currentDecisions(db, rows.map((r) => r.id), filter.ownDecisionsOf)
    const reviewData = review ? await review.load(rows.map((r) => r.id)) : undefined
    for (const row of rows) {
      const list = current.get(row.id) ?? []
      // Per stage, the latest decision whatever its source, as the label lines and columns show it.
      const latest = new Map<string, ExportDecision & { time: number }>()
      const tags = new Set<string>()
      for (const d of list) {
        for (const tag of d.tags ?? []) tags.add(tag)
        const time = d.createdAt.getTime()
        if ((latest.get(d.stage)?.time ?? -Infinity) < time) {
          latest.set(d.stage, { stage: d.stage, decision: d.decision, time, ...(d.reason ? { reason: d.reason } : {}), ...(d.note ? { note: d.note } : {}) })
        }
      }
      const decision = [...latest.values()].sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage))
        .map(({ time: _time, ...d }) => d)
      yield {
        record: rowToRecord(row),
        ...(decision.length ? { decision } : {}),
        ...(tags.size ? { tags: [...tags].sort() } : {}),
        ...(list.length ? { screening: list.map(({ createdAt: _createdAt, ...d }) => d) } : {}),
        ...(reviewData?.has(row.id) ? { review: reviewData.get(row.id) } : {})
      }
    }
    if (rows.length < PAGE) return
  }
}

/**
 * A project's export as a file: the stream of the formatted records (written
 * as they are read; a failure mid-way ends the stream with the error), its
 * content type and a file name from the project's name.
 */
export function exportFile(db: Database, project: { id: string; name: string }, format: ExportFormatId, filter: ExportFilter, log: { error: (obj: object, msg: string) => void }, review?: ReviewExport) {
  const info = EXPORT_FORMATS[format]
  const body = new PassThrough()
  writeExport(format, exportItems(db, project.id, filter, review), body, { review: review?.columns }).catch((err) => {
    log.error({ err }, 'export failed')
    body.destroy(err as Error)
  })
  return { body, contentType: info.contentType, fileName: `${project.name.replace(/[^\w.-]+/g, '_').slice(0, 60) || 'export'}.${info.extension}` }
}
