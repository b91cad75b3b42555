/**
 * Full texts of a project's articles: which articles still need one, storing
 * a downloaded PDF as a project file linked from its article, and finding
 * the stored PDF again to serve it.
 */
import { randomUUID } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { and, eq, inArray, isNull, isNotNull, sql } from 'drizzle-orm'
import { NotFound } from '../errors.ts'
import type { Database } from '../db/index.ts'
import { articles, decisions, files } from '../db/schema.ts'
import { projectStorageDir } from './projects.ts'

export interface FullTextCandidate {
  id: string
  doi: string | null
  title: string
  fullTextFileId: string | null
}

/** Articles the full-text task works on when the request names none. */
export const MAX_DEFAULT_FULLTEXT_ARTICLES = 5000

/**
 * The named articles of the project (in the order given), or by default the
 * included records that have a DOI and no full text yet: records that are
 * not duplicates and whose latest title/abstract decision is "include".
 */
export async function fullTextCandidates(db: Database, projectId: string, articleIds?: string[]): Promise<FullTextCandidate[]> {
  const columns = { id: articles.id, doi: articles.doi, title: articles.title, fullTextFileId: articles.fullTextFileId }
  if (articleIds) {
    if (articleIds.length === 0) return []
    const rows = await db.select(columns).from(articles).where(and(eq(articles.projectId, projectId), inArray(articles.id, articleIds)))
    const byId = new Map(rows.map((r) => [r.id, r]))
    return articleIds.flatMap((id) => byId.get(id) ?? [])
  }
  const latestDecision = sql<string | null>`(
    SELECT d.decision::text FROM ${decisions} d
    WHERE d.article_id = ${articles.id} AND d.stage = 'title_abstract'
    ORDER BY d.created_at DESC, d.id DESC LIMIT 1)`
  return db.select(columns).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), isNotNull(articles.doi), isNull(articles.fullTextFileId),
      sql`${latestDecision} = 'include'`))
    .orderBy(articles.createdAt, articles.sourceIndex, articles.id)
    .limit(MAX_DEFAULT_FULLTEXT_ARTICLES)
}

/** Where a project's downloaded full texts live. */
export function fullTextDir(storageDir: string, projectId: string): string {
  return path.join(projectStorageDir(storageDir, projectId), 'fulltext')
}

export interface DownloadedPdf {
  absolute: string
  bytes: number
  sha256: string
  originUrl: string
  originalName: string
  origin: string
}

/**
 * Records a downloaded PDF as a project file and links it as the article's
 * full text, unless the article got one meanwhile (then nothing is written
 * and undefined is returned; the caller removes its download). Returns the file id.
 */
export async function attachFullText(db: Database, storageDir: string, projectId: string, articleId: string, pdf: DownloadedPdf, createdBy: string | null): Promise<string | undefined> {
  const fileId = randomUUID()
  return db.transaction(async (tx) => {
    const linked = await tx.update(articles).set({ fullTextFileId: fileId })
      .where(and(eq(articles.id, articleId), eq(articles.projectId, projectId), isNull(articles.fullTextFileId)))
      .returning({ id: articles.id })
    if (linked.length === 0) return undefined
    await tx.insert(files).values({
      id: fileId, projectId, storagePath: path.relative(storageDir, pdf.absolute), originalName: pdf.originalName, contentType: 'application/pdf',
      size: pdf.bytes, sha256: pdf.sha256, origin: pdf.origin, originUrl: pdf.originUrl, createdBy
    })
    return fileId
  })
}

export interface StoredFullText {
  absolute: string
  originalName: string
  size: number
  contentType: string
}

/** The stored full text of an article, or undefined when it has none (or its file is gone). */
export async function findFullText(db: Database, storageDir: string, projectId: string, articleId: string): Promise<StoredFullText | undefined> {
  const [row] = await db.select({ storagePath: files.storagePath, originalName: files.originalName, contentType: files.contentType })
    .from(articles)
    .innerJoin(files, and(eq(files.id, articles.fullTextFileId), eq(files.projectId, articles.projectId)))
    .where(and(eq(articles.id, articleId), eq(articles.projectId, projectId)))
  if (!row) return undefined
  const root = path.resolve(storageDir)
  const absolute = path.resolve(root, row.storagePath)
  // Stored paths are relative to the storage directory; never follow one out of it.
  if (!absolute.startsWith(root + path.sep)) return undefined
  const stat = await fs.stat(absolute).catch(() => undefined)
  if (!stat?.isFile()) return undefined
  return { absolute, originalName: row.originalName, size: stat.size, contentType: row.contentType ?? 'application/pdf' }
}

/** The stored full text of an article; NotFound when it has none. */
export async function requireFullText(db: Database, storageDir: string, projectId: string, articleId: string): Promise<StoredFullText> {
  const stored = await findFullText(db, storageDir, projectId, articleId)
  if (!stored) throw new NotFound('this article has no full text')
  return stored
}
