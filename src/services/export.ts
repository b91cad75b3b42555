/**
 * Streams a project's records with their current decisions as export items,
 * page by page, so that exporting 100,000 records keeps memory flat.
 */
import { and, asc, desc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, decisions } from '../db/schema.ts'
import type { ExportDecision, ExportItem } from '../export/index.ts'
import { rowToRecord } from './articles.ts'

export interface ExportFilter {
  /** Only records whose current decision at `stage` is this ('undecided': none yet). */
  decision?: 'include' | 'exclude' | 'maybe' | 'undecided'
  stage: 'title_abstract' | 'full_text'
  includeDuplicates: boolean
  /** Blind screening: export only this reviewer's own decisions. */
  ownDecisionsOf?: string
}

const STAGES: readonly string[] = ['title_abstract', 'full_text']
const PAGE = 1000

export async function * exportItems(db: Database, projectId: string, filter: ExportFilter): AsyncGenerator<ExportItem> {
  const own = filter.ownDecisionsOf ? sql`AND d.reviewer_id = ${filter.ownDecisionsOf}` : sql``
  const latestAtStage = sql`(SELECT d.decision::text FROM decisions d WHERE d.article_id = ${articles.id} AND d.stage = ${filter.stage} ${own}
    ORDER BY d.created_at DESC, d.id DESC LIMIT 1)`
  const where: SQL[] = [eq(articles.projectId, projectId)]
  if (!filter.includeDuplicates) where.push(isNull(articles.duplicateOf))
  if (filter.decision === 'undecided') where.push(sql`${latestAtStage} IS NULL`)
  else if (filter.decision) where.push(sql`${latestAtStage} = ${filter.decision}`)

  let after: string | undefined
  for (;;) {
    const rows = await db.select().from(articles)
      .where(and(...where, ...(after ? [gt(articles.id, after)] : [])))
      .orderBy(asc(articles.id)).limit(PAGE)
    if (rows.length === 0) return
    after = rows[rows.length - 1].id
    const found = await db.selectDistinctOn([decisions.articleId, decisions.stage], {
      articleId: decisions.articleId, stage: decisions.stage, decision: decisions.decision, reason: decisions.reason, note: decisions.note
    }).from(decisions).where(and(inArray(decisions.articleId, rows.map((r) => r.id)),
      ...(filter.ownDecisionsOf ? [eq(decisions.reviewerId, filter.ownDecisionsOf)] : [])))
      .orderBy(decisions.articleId, decisions.stage, desc(decisions.createdAt), desc(decisions.id))
    const tagRows = (await db.execute<{ article_id: string; tags: string[] }>(sql`
      SELECT d.article_id, array_agg(DISTINCT t ORDER BY t) AS tags FROM decisions d, unnest(d.tags) AS t
      WHERE d.article_id IN ${rows.map((r) => r.id)} ${own} GROUP BY d.article_id`)).rows
    const byArticle = new Map<string, ExportDecision[]>()
    for (const f of found) {
      const list = byArticle.get(f.articleId) ?? []
      list.push({ stage: f.stage, decision: f.decision, ...(f.reason ? { reason: f.reason } : {}), ...(f.note ? { note: f.note } : {}) })
      byArticle.set(f.articleId, list)
    }
    const tags = new Map<string, string[]>(tagRows.map((r) => [r.article_id, r.tags]))
    for (const row of rows) {
      const list = (byArticle.get(row.id) ?? []).sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage))
      yield { record: rowToRecord(row), ...(list.length ? { decision: list } : {}), ...(tags.get(row.id)?.length ? { tags: tags.get(row.id) } : {}) }
    }
    if (rows.length < PAGE) return
  }
}
