/**
 * Full texts of a project's articles: which articles still need one, storing
 * a downloaded PDF as a project file linked from its article, and finding
 * the stored PDF again to serve it.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { and, eq, inArray, isNull, isNotNull, sql } from 'drizzle-orm'
import { NotFound } from '../errors.ts'
import type { Database } from '../db/index.ts'
import { articles, decisions, files } from '../db/schema.ts'
import { projectStorageDir } from './projects.ts'
import type { Executor } from './source-records.ts'

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
 * Records a stored PDF as a project file, once per content: when the project
 * already has a PDF with the same sha256, that file's id is returned, and the
 * new copy on disk is removed. Runs inside the caller's transaction.
 */
export async function storePdfFile(tx: Executor, storageDir: string, projectId: string, pdf: DownloadedPdf, createdBy: string | null): Promise<{ fileId: string; duplicate: boolean }> {
  const [inserted] = await tx.insert(files).values({
    projectId, storagePath: path.relative(storageDir, pdf.absolute), originalName: pdf.originalName, contentType: 'application/pdf',
    size: pdf.bytes, sha256: pdf.sha256, origin: pdf.origin, originUrl: pdf.originUrl || null, createdBy
  }).onConflictDoNothing({ target: [files.projectId, files.sha256], where: sql`content_type = 'application/pdf'` }).returning({ id: files.id })
  if (inserted) return { fileId: inserted.id, duplicate: false }
  const [existing] = await tx.select({ id: files.id }).from(files)
    .where(and(eq(files.projectId, projectId), eq(files.sha256, pdf.sha256), eq(files.contentType, 'application/pdf')))
  if (!existing) throw new Error('a PDF with this sha256 was neither inserted nor found')
  await fs.rm(pdf.absolute, { force: true })
  return { fileId: existing.id, duplicate: true }
}

/**
 * Records a downloaded PDF as a project file (once per content) and links it
 * as the article's full text, unless the article got one meanwhile (then
 * nothing is written and undefined is returned; the caller removes its
 * download). Returns the file id.
 */
export async function attachFullText(db: Database, storageDir: string, projectId: string, articleId: string, pdf: DownloadedPdf, createdBy: string | null): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    const [article] = await tx.select({ id: articles.id }).from(articles)
      .where(and(eq(articles.id, articleId), eq(articles.projectId, projectId), isNull(articles.fullTextFileId))).for('update')
    if (!article) return undefined
    const { fileId } = await storePdfFile(tx, storageDir, projectId, pdf, createdBy)
    await tx.update(articles).set({ fullTextFileId: fileId }).where(eq(articles.id, articleId))
    return fileId
  })
}

/** Removes a stored PDF (row, extracted text and file on disk) when no article of the project links it any more. */
export async function removeFileIfUnused(db: Database, storageDir: string, projectId: string, fileId: string): Promise<boolean> {
  const [removed] = await db.delete(files).where(and(eq(files.id, fileId), eq(files.projectId, projectId),
    sql`NOT EXISTS (SELECT 1 FROM ${articles} a WHERE a.project_id = ${projectId} AND a.full_text_file_id = ${fileId})`))
    .returning({ storagePath: files.storagePath })
  if (!removed) return false
  const absolute = insideStorage(storageDir, removed.storagePath)
  if (absolute) await fs.rm(absolute, { force: true })
  return true
}

/** The absolute path of a stored path, or undefined when it would lead out of the storage directory. */
export function insideStorage(storageDir: string, storagePath: string): string | undefined {
  const root = path.resolve(storageDir)
  const absolute = path.resolve(root, storagePath)
  return absolute.startsWith(root + path.sep) ? absolute : undefined
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
  // Stored paths are relative to the storage directory; never follow one out of it.
  const absolute = insideStorage(storageDir, row.storagePath)
  if (!absolute) return undefined
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
