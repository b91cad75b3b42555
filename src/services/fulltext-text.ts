/**
 * Extracted full texts in the database: which stored PDFs to extract,
 * storing one file's outcome (pages, sections, or its error) in one
 * transaction, reading an article's pages, and searching a project's pages.
 */
import { and, asc, eq, gte, inArray, isNotNull, isNull, lte, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { articles, files, fullTextPages, fullTexts } from '../db/schema.ts'
import { NotFound } from '../errors.ts'
import type { ExtractOutcome } from '../fulltext/extract.ts'

/** Recorded with each extraction: the library and the clean-up rules that produced the text. */
export const EXTRACTOR_VERSION = 'unpdf-1.7/layout-1'

export interface ExtractionTarget { fileId: string; storagePath: string; originalName: string }

/**
 * The project's PDFs to extract: the named files, or the full texts of the
 * named articles, or by default every PDF linked from an article. Without
 * `force`, files already extracted are left out.
 */
export async function extractionTargets(db: Database, projectId: string, select: { fileIds?: string[]; articleIds?: string[]; force?: boolean }): Promise<ExtractionTarget[]> {
  const where = [eq(files.projectId, projectId), eq(files.contentType, 'application/pdf')]
  if (select.fileIds) where.push(inArray(files.id, select.fileIds))
  if (select.articleIds || !select.fileIds) {
    const linked = db.select({ id: articles.fullTextFileId }).from(articles)
      .where(and(eq(articles.projectId, projectId), isNotNull(articles.fullTextFileId), ...(select.articleIds ? [inArray(articles.id, select.articleIds)] : [])))
    where.push(inArray(files.id, linked))
  }
  if (!select.force) where.push(isNull(fullTexts.fileId))
  return db.select({ fileId: files.id, storagePath: files.storagePath, originalName: files.originalName }).from(files)
    .leftJoin(fullTexts, eq(fullTexts.fileId, files.id))
    .where(and(...where)).orderBy(asc(files.createdAt), asc(files.id))
}

/** Pages are inserted this many at a time (a 2,000-page PDF stays under PostgreSQL's parameter limit). */
const PAGE_BATCH = 500

/** Replaces a file's extracted text with an outcome, in one transaction: either all of it is stored or nothing changes. */
export async function storeExtraction(db: Database, projectId: string, fileId: string, outcome: ExtractOutcome): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(fullTexts).where(eq(fullTexts.fileId, fileId))
    if (!outcome.ok) {
      await tx.insert(fullTexts).values({
        fileId, projectId, status: 'error', errorCode: outcome.error.code, errorMessage: outcome.error.message, extractorVersion: EXTRACTOR_VERSION
      })
      return
    }
    const { pages, sections, metadata } = outcome.text
    await tx.insert(fullTexts).values({
      fileId, projectId, status: 'ok', pageCount: metadata.pageCount, ocrPages: metadata.ocrPages, sections,
      metadata: { title: metadata.title ?? null, doi: metadata.doi ?? null, pmid: metadata.pmid ?? null, encrypted: metadata.encrypted },
      extractorVersion: EXTRACTOR_VERSION
    })
    for (let i = 0; i < pages.length; i += PAGE_BATCH) {
      // PostgreSQL text cannot hold NUL characters, which some PDFs' text layers contain.
      await tx.insert(fullTextPages).values(pages.slice(i, i + PAGE_BATCH).map((p) => ({ fileId, projectId, page: p.number, text: p.text.replaceAll('\0', '') })))
    }
  })
}

/** The extracted text of an article's full text, pages `from`–`to` (1-based, inclusive). */
export async function articleFullTextPages(db: Database, projectId: string, articleId: string, range: { from?: number; to?: number }) {
  const [article] = await db.select({ fileId: articles.fullTextFileId }).from(articles).where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  if (!article) throw new NotFound('article not found')
  if (!article.fileId) throw new NotFound('this article has no full text')
  const [text] = await db.select().from(fullTexts).where(and(eq(fullTexts.fileId, article.fileId), eq(fullTexts.projectId, projectId)))
  if (!text) throw new NotFound('the full text has not been extracted yet (POST /projects/:projectId/fulltext/extract)')
  const from = range.from ?? 1
  const to = range.to ?? from + 49
  const pages = text.status === 'ok'
    ? await db.select({ number: fullTextPages.page, text: fullTextPages.text }).from(fullTextPages)
        .where(and(eq(fullTextPages.fileId, article.fileId), gte(fullTextPages.page, from), lte(fullTextPages.page, to))).orderBy(asc(fullTextPages.page))
    : []
  return {
    articleId, fileId: article.fileId, status: text.status as 'ok' | 'error',
    error: text.errorCode ? { code: text.errorCode, message: text.errorMessage ?? '' } : null,
    pageCount: text.pageCount, extractorVersion: text.extractorVersion, extractedAt: text.extractedAt.toISOString(),
    sections: text.sections as Array<{ name: string; page: number; offset: number }>,
    ocrPages: text.ocrPages as Array<{ page: number; status: string; reason?: string }>,
    pages
  }
}

/** Full-text search across the project's extracted pages (websearch syntax: words, "phrases", or, -not), best first. */
export async function searchFullTexts(db: Database, projectId: string, q: string, page: { limit: number; offset: number }) {
  const rows = await db.execute<{ article_id: string; title: string; file_id: string; page: number; snippet: string; rank: number; total: number }>(sql`
    WITH q AS (SELECT websearch_to_tsquery('english', ${q}) AS query)
    SELECT a.id AS article_id, a.title, p.file_id, p.page,
      ts_headline('english', p.text, q.query, 'StartSel=«, StopSel=», MaxWords=35, MinWords=15, MaxFragments=2') AS snippet,
      ts_rank(p.search, q.query)::float8 AS rank, count(*) OVER ()::int AS total
    FROM q, ${fullTextPages} p
    JOIN ${articles} a ON a.full_text_file_id = p.file_id AND a.project_id = p.project_id
    WHERE p.project_id = ${projectId} AND p.search @@ q.query
    ORDER BY rank DESC, a.id, p.page
    LIMIT ${page.limit} OFFSET ${page.offset}`)
  return {
    total: rows.rows[0]?.total ?? 0,
    items: rows.rows.map((r) => ({ articleId: r.article_id, title: r.title, fileId: r.file_id, page: r.page, snippet: r.snippet, rank: r.rank }))
  }
}
