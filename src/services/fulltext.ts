/**
 * Full texts of a project's articles: which articles still need one, storing
 * a downloaded PDF as a project file linked from its article, and finding
 * the stored PDF again to serve it.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { and, eq, inArray, isNull, isNotNull, sql } from 'drizzle-orm'
import { Conflict, Invalid, NotFound, TooLarge, Unprocessable, Unsupported } from '../errors.ts'
import type { Database } from '../db/index.ts'
import { articles, decisions, files, fullTexts } from '../db/schema.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView } from '../tasks/store.ts'
import type { UploadPart } from './imports.ts'
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

/** The first bytes of a PDF file: the header may follow up to 1,024 bytes of anything (PDF 1.7, annex H). */
export function looksLikePdf(head: Buffer): boolean {
  return head.subarray(0, 1024).includes('%PDF-')
}

export interface FullTextUploadDeps { db: Database; tasks: TaskService; storageDir: string; config: { FULLTEXT_MAX_BYTES: number } }

/**
 * Streams one uploaded PDF (multipart field "file") into the project's
 * storage, hashing it, and links it as the article's full text (replacing
 * the previous one); the same PDF uploaded twice is stored once. Starts the
 * text extraction unless the file was extracted already. A refusal (not a
 * PDF, too large, no file) leaves nothing behind.
 */
export async function uploadFullText(deps: FullTextUploadDeps, projectId: string, articleId: string, userId: string, parts: AsyncIterable<UploadPart> | undefined) {
  if (!parts) throw new Unsupported('send the PDF as multipart/form-data in a field named "file"')
  const [article] = await deps.db.select({ id: articles.id, fileId: articles.fullTextFileId }).from(articles).where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  if (!article) throw new NotFound('article not found')
  let stored: DownloadedPdf | undefined
  let refusal: Error | undefined
  const dir = fullTextDir(deps.storageDir, projectId)
  await fs.mkdir(dir, { recursive: true })
  for await (const part of parts) {
    if (part.type !== 'file') continue
    if (part.fieldname !== 'file' || stored || refusal) { part.file.resume(); continue }
    const received = await receivePdf(part, dir, deps.config.FULLTEXT_MAX_BYTES, 'upload')
    if ('refusal' in received) refusal = received.refusal
    else stored = received
  }
  if (refusal) throw refusal
  if (!stored) throw new Invalid('no file: send the PDF in a multipart field named "file"', 'file')
  const pdf = stored
  const { fileId, duplicate } = await deps.db.transaction(async (tx) => {
    const result = await storePdfFile(tx, deps.storageDir, projectId, pdf, userId)
    await tx.update(articles).set({ fullTextFileId: result.fileId }).where(eq(articles.id, articleId))
    return result
  }).catch(async (error: unknown) => {
    await fs.rm(pdf.absolute, { force: true })
    throw error
  })
  if (article.fileId && article.fileId !== fileId) await removeFileIfUnused(deps.db, deps.storageDir, projectId, article.fileId)
  const [extracted] = await deps.db.select({ fileId: fullTexts.fileId }).from(fullTexts).where(eq(fullTexts.fileId, fileId))
  const task = extracted ? null : toTaskView(await deps.tasks.submit({ type: 'fulltext-extract', projectId, createdBy: userId, payload: { fileIds: [fileId] } }))
  return { articleId, fileId, sha256: pdf.sha256, size: pdf.bytes, duplicate, task }
}

/** Streams one uploaded file part into `dir`, hashing it; a part that is not a usable PDF is removed and refused. */
async function receivePdf(part: UploadPart & { type: 'file' }, dir: string, maxBytes: number, origin: string): Promise<DownloadedPdf | { refusal: Error }> {
  const absolute = path.join(dir, `${randomUUID()}.pdf`)
  const hash = createHash('sha256')
  let size = 0
  let head = Buffer.alloc(0)
  await pipeline(part.file, new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk)
      size += chunk.length
      if (head.length < 1024) head = Buffer.concat([head, chunk.subarray(0, 1024 - head.length)])
      cb(null, chunk)
    }
  }), createWriteStream(absolute))
  const name = path.basename(part.filename || 'fulltext.pdf')
  let refusal: Error | undefined
  if (part.file.truncated) refusal = new TooLarge(`${name} is larger than the limit of ${maxBytes} bytes (FULLTEXT_MAX_BYTES)`, 'file')
  else if (size === 0) refusal = new Unprocessable(`${name} is empty`, 'file')
  else if (!looksLikePdf(head)) refusal = new Unsupported(`${name} is not a PDF (no %PDF- header in its first 1,024 bytes)`)
  if (refusal) {
    await fs.rm(absolute, { force: true })
    return { refusal }
  }
  return { absolute, bytes: size, sha256: hash.digest('hex'), originUrl: '', originalName: name, origin }
}

/**
 * Bulk upload: stores each PDF of the multipart fields "files" (once per
 * content), lists the parts refused, and starts the task "fulltext-bulk",
 * which extracts the PDFs and matches each to an article.
 */
export async function bulkUpload(deps: FullTextUploadDeps, projectId: string, userId: string, parts: AsyncIterable<UploadPart> | undefined) {
  if (!parts) throw new Unsupported('send the PDFs as multipart/form-data in fields named "files"')
  const dir = fullTextDir(deps.storageDir, projectId)
  await fs.mkdir(dir, { recursive: true })
  const stored: Array<{ fileId: string; fileName: string; duplicate: boolean }> = []
  const rejected: Array<{ fileName: string; reason: string }> = []
  for await (const part of parts) {
    if (part.type !== 'file') continue
    if (part.fieldname !== 'files') { part.file.resume(); continue }
    const received = await receivePdf(part, dir, deps.config.FULLTEXT_MAX_BYTES, 'bulk')
    if ('refusal' in received) { rejected.push({ fileName: path.basename(part.filename || ''), reason: received.refusal.message }); continue }
    const { fileId, duplicate } = await deps.db.transaction((tx) => storePdfFile(tx, deps.storageDir, projectId, received, userId))
    stored.push({ fileId, fileName: received.originalName, duplicate })
  }
  if (stored.length === 0) throw new Invalid(`no PDF: send them in multipart fields named "files"${rejected.length ? ` (refused: ${rejected.map((r) => r.reason).join('; ')})` : ''}`, 'files')
  const task = await deps.tasks.submit({ type: 'fulltext-bulk', projectId, createdBy: userId, payload: { files: stored.map((f) => ({ fileId: f.fileId, fileName: f.fileName })) } })
  return { task: toTaskView(task), stored, rejected }
}

/** Attaches a stored PDF (e.g. one the bulk upload could not match) to an article, which must have no full text yet. */
export async function matchFile(db: Database, projectId: string, fileId: string, articleId: string) {
  const [file] = await db.select({ id: files.id }).from(files).where(and(eq(files.id, fileId), eq(files.projectId, projectId), eq(files.contentType, 'application/pdf')))
  if (!file) throw new NotFound('no PDF with this id in the project')
  const [article] = await db.select({ fileId: articles.fullTextFileId }).from(articles).where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  if (!article) throw new Invalid('articleId is not an article of this project', 'articleId')
  if (article.fileId && article.fileId !== fileId) throw new Conflict('this article already has a full text: delete it first')
  await db.update(articles).set({ fullTextFileId: fileId }).where(eq(articles.id, articleId))
  return { articleId, fileId }
}

/** Unlinks an article's full text; the PDF and its text go when no other article links them. */
export async function detachFullText(db: Database, storageDir: string, projectId: string, articleId: string): Promise<void> {
  const [article] = await db.select({ fileId: articles.fullTextFileId }).from(articles).where(and(eq(articles.projectId, projectId), eq(articles.id, articleId)))
  if (!article) throw new NotFound('article not found')
  if (!article.fileId) throw new NotFound('this article has no full text')
  await db.update(articles).set({ fullTextFileId: null }).where(eq(articles.id, articleId))
  await removeFileIfUnused(db, storageDir, projectId, article.fileId)
}
