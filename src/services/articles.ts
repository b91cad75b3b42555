import { and, asc, desc, eq, getTableColumns, isNull, sql, type SQL } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articleSearch, articles, atnScores, decisions } from '../db/schema.ts'
import type { Author, ReferenceRecord } from '../references/model.ts'
import { completeness } from '../dedup/cluster.ts'
import { currentRanking } from './screening-ranking.ts'

export type ArticleRow = typeof articles.$inferSelect

export interface ArticleView {
  id: string
  title: string
  abstract: string
  authors: Author[]
  year: number | null
  journal: string | null
  volume: string | null
  issue: string | null
  pages: string | null
  doi: string | null
  pmid: string | null
  pmcid: string | null
  arxivId: string | null
  type: string
  sourceDatabase: string | null
  batchId: string | null
  duplicateOf: string | null
  keywords: string[]
  mesh: string[]
  url: string | null
  createdAt: string
  /** The latest decision at the requested stage, any reviewer; null when none. */
  decision?: string | null
  /** The title/abstract model's score (its stored ranking, src/services/screening-ranking.ts); null before one is stored. */
  relevance: number | null
}

export function toArticleView(row: Omit<ArticleRow, 'original' | 'record' | 'completeness'> & { decision?: string | null }, relevance: number | null = null): ArticleView {
  const data = (row.data ?? {}) as Partial<ReferenceRecord>
  return {
    id: row.id, title: row.title, abstract: row.abstract, authors: row.authors as Author[], year: row.year, journal: row.journal,
    volume: row.volume, issue: row.issue, pages: row.pages, doi: row.doi, pmid: row.pmid, pmcid: row.pmcid, arxivId: row.arxivId,
    type: row.type, sourceDatabase: row.sourceDatabase, batchId: row.batchId, duplicateOf: row.duplicateOf,
    keywords: data.keywords ?? [], mesh: data.mesh ?? [], url: data.url ?? null, createdAt: row.createdAt.toISOString(), relevance,
    ...(row.decision !== undefined ? { decision: row.decision } : {})
  }
}

/** Splits a normalised record into indexed columns and the `data` document. */
export function recordToRow(record: ReferenceRecord) {
  const { title, abstract, authors, year, journal, volume, issue, pages, doi, pmid, pmcid, arxivId, type, sourceDatabase, original, ...rest } = record
  return {
    completeness: completeness(record),
    title: title ?? '', abstract: abstract ?? '', authors, year: year ?? null, journal: journal ?? null, volume: volume ?? null,
    issue: issue ?? null, pages: pages ?? null, doi: doi ?? null, pmid: pmid ?? null, pmcid: pmcid ?? null, arxivId: arxivId ?? null,
    type, sourceDatabase: sourceDatabase ?? null, data: rest, original: original ?? null
  }
}

/** The record an article shows now: its columns (the union of a cluster for its primary) and the rest of its data. */
export function rowToRecord(row: Pick<ArticleRow, 'title' | 'abstract' | 'authors' | 'year' | 'journal' | 'volume' | 'issue' | 'pages' | 'doi' | 'pmid' | 'pmcid' | 'arxivId' | 'type' | 'sourceDatabase' | 'data'>): ReferenceRecord {
  const data = (row.data ?? {}) as Partial<ReferenceRecord>
  return {
    ...data,
    keywords: data.keywords ?? [], mesh: data.mesh ?? [], notes: data.notes ?? [], attachments: data.attachments ?? [],
    title: row.title || undefined, abstract: row.abstract || undefined, authors: (row.authors ?? []) as Author[], year: row.year ?? undefined,
    journal: row.journal ?? undefined, volume: row.volume ?? undefined, issue: row.issue ?? undefined, pages: row.pages ?? undefined,
    doi: row.doi ?? undefined, pmid: row.pmid ?? undefined, pmcid: row.pmcid ?? undefined, arxivId: row.arxivId ?? undefined,
    type: row.type as ReferenceRecord['type'], sourceDatabase: row.sourceDatabase ?? undefined, original: undefined
  }
}

/** Everything but the original record, the saved own columns of a primary and its completeness, which lists never show. */
const { original: _original, record: _record, completeness: _completeness, ...listColumns } = getTableColumns(articles)
export const LIST_COLUMNS = listColumns

export interface ArticleQuery {
  page: number
  pageSize: number
  sort: 'createdAt' | 'title' | 'year' | 'journal' | 'atn'
  order: 'asc' | 'desc'
  q?: string
  decision?: 'include' | 'exclude' | 'maybe' | 'undecided'
  stage: 'title_abstract' | 'full_text'
  includeDuplicates: boolean
  /**
   * Blind screening: show and filter by this reviewer's own decisions only
   * (set for reviewers who may not see the others' decisions).
   */
  ownDecisionsOf?: string
  /** Only articles whose ATN score (atn_scores) is at least this. */
  minAtn?: number
}

function listConditions(projectId: string, query: Omit<ArticleQuery, 'page' | 'pageSize' | 'sort' | 'order'>): SQL | undefined {
  const latestDecision = sql<string | null>`(
    SELECT d.decision::text FROM ${decisions} d
    WHERE d.article_id = ${articles.id} AND d.stage = ${query.stage}
      ${query.ownDecisionsOf ? sql`AND d.reviewer_id = ${query.ownDecisionsOf}` : sql``}
    ORDER BY d.created_at DESC, d.id DESC LIMIT 1)`
  const where: SQL[] = [eq(articles.projectId, projectId)]
  if (!query.includeDuplicates) where.push(isNull(articles.duplicateOf))
  if (query.q) where.push(sql`${articles.id} IN (SELECT ${articleSearch.articleId} FROM ${articleSearch} WHERE ${articleSearch.search} @@ websearch_to_tsquery('simple', ${query.q}))`)
  if (query.decision === 'undecided') where.push(sql`${latestDecision} IS NULL`)
  else if (query.decision) where.push(sql`${latestDecision} = ${query.decision}`)
  if (query.minAtn !== undefined) where.push(sql`${articles.id} IN (SELECT ${atnScores.articleId} FROM ${atnScores} WHERE ${atnScores.projectId} = ${projectId} AND ${atnScores.score} >= ${query.minAtn})`)
  return and(...where)
}

/** How many articles the list's filters select. */
export async function countArticles(db: Database, projectId: string, query: Omit<ArticleQuery, 'page' | 'pageSize' | 'sort' | 'order'>): Promise<number> {
  const [{ count }] = await db.select({ count: sql<number>`count(*)::int` }).from(articles).where(listConditions(projectId, query))
  return count
}

/**
 * One page of the list, with each article's latest decision at the stage (the viewer's own when
 * blind) joined in the same query. Every sort ends with the tie-breakers (source index, id) in its
 * direction, which its index holds (articles_project_*_idx), so a page is read in index order even
 * when a whole import shares one creation time.
 */
export async function listArticlePage(db: Database, projectId: string, query: ArticleQuery): Promise<ArticleView[]> {
  // Titles and journals: by the prefix that their indexes hold (so the index serves the order).
  const sortColumn = {
    createdAt: articles.createdAt,
    title: sql`left(lower(${articles.title}), 256)`,
    year: articles.year,
    journal: sql`left(lower(${articles.journal}), 256)`,
    atn: sql`coalesce((SELECT ${atnScores.score} FROM ${atnScores} WHERE ${atnScores.articleId} = ${articles.id}), -1)`
  }[query.sort]
  const direction = query.order === 'asc' ? asc : desc
  const page = db.select({ ...LIST_COLUMNS, sortKey: sql`${sortColumn}`.as('sort_key') }).from(articles).where(listConditions(projectId, query))
    .orderBy(direction(sortColumn), direction(articles.sourceIndex), direction(articles.id))
    .limit(query.pageSize).offset((query.page - 1) * query.pageSize)
    .as('page')
  const latest = db.select({ decision: decisions.decision }).from(decisions)
    .where(and(sql`${decisions.articleId} = ${page.id}`, eq(decisions.stage, query.stage),
      ...(query.ownDecisionsOf ? [eq(decisions.reviewerId, query.ownDecisionsOf)] : [])))
    .orderBy(desc(decisions.createdAt), desc(decisions.id)).limit(1)
    .as('latest')
  const { sortKey: _sortKey, ...columns } = page._.selectedFields
  const rows = await db.select({ ...columns, decision: latest.decision }).from(page)
    .leftJoinLateral(latest, sql`true`)
    .orderBy(direction(page.sortKey), direction(page.sourceIndex), direction(page.id))
  const ranking = await currentRanking(db, projectId, 'title_abstract')
  return rows.map((r) => toArticleView(r, ranking?.scoreOf(r.id) ?? null))
}

export async function listArticles(db: Database, projectId: string, query: ArticleQuery): Promise<{ items: ArticleView[]; total: number; page: number; pageSize: number }> {
  const [items, total] = await Promise.all([listArticlePage(db, projectId, query), countArticles(db, projectId, query)])
  return { items, total, page: query.page, pageSize: query.pageSize }
}

export async function getArticle(db: Database, projectId: string, articleId: string): Promise<ArticleRow | undefined> {
  const [row] = await db.select().from(articles).where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  return row
}
