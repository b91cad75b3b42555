/**
 * Full texts of a project's articles: which articles still need one, storing
 * a downloaded PDF as a project file linked from its article, and finding
 * the stored PDF again to serve it.
 */
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { and, desc, eq, inArray, isNull, isNotNull, sql } from 'drizzle-orm'
import { Conflict, Invalid, NotFound, TooLarge, Unprocessable, Unsupported } from '../errors.ts'
import type { Database } from '../db/index.ts'
import { articles, decisions, files, fullTexts, tasks } from '../db/schema.ts'
import { titleSimilarity } from '../fulltext/match.ts'
import type { UnmatchedQuery } from '../http/schemas/fulltext.ts'
import type { TaskService } from '../tasks/service.ts'
import { toTaskView } from '../tasks/store.ts'
import type { UploadPart } from './imports.ts'
import { projectStorageDir } from './projects.ts'
import type { Executor } from './source-records.ts'
import { looksLikeZip, openZip, zipLimitsFromConfig, ZipRefusedError, type ZipLimits } from '../fulltext/zip.ts'

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
  /** The task that brought the file in (bulk upload, ZIP, Zotero import). */
  taskId?: string
}

/**
 * Records a stored PDF as a project file, once per content: when the project
 * already has a PDF with the same sha256, that file's id is returned, and the
 * new copy on disk is removed. Runs inside the caller's transaction.
 */
export async function storePdfFile(tx: Executor, storageDir: string, projectId: string, pdf: DownloadedPdf, createdBy: string | null): Promise<{ fileId: string; duplicate: boolean }> {
  const [inserted] = await tx.insert(files).values({
    projectId, storagePath: path.relative(storageDir, pdf.absolute), originalName: pdf.originalName, contentType: 'application/pdf',
    size: pdf.bytes, sha256: pdf.sha256, origin: pdf.origin, originUrl: pdf.originUrl || null, createdBy, taskId: pdf.taskId ?? null
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
export interface BulkUploadDeps extends FullTextUploadDeps { config: { FULLTEXT_MAX_BYTES: number } & Parameters<typeof zipLimitsFromConfig>[0] }

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
  const received = await receivePart(part, dir, maxBytes, origin, false)
  if ('zip' in received) throw new Error('unreachable: ZIP parts are not accepted here')
  return received
}

/**
 * Streams one uploaded file part into `dir`, hashing it. A PDF (at most
 * `maxBytes`) is returned as such; with `acceptZip`, a ZIP archive is
 * returned as `{ zip }` (its own limits are checked by the caller); anything
 * else is removed and refused.
 */
async function receivePart(part: UploadPart & { type: 'file' }, dir: string, maxBytes: number, origin: string, acceptZip: boolean): Promise<DownloadedPdf | { zip: DownloadedPdf } | { refusal: Error }> {
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
  const zip = acceptZip && looksLikeZip(head)
  if (part.file.truncated) refusal = new TooLarge(acceptZip ? `${name} is larger than the upload limit (UPLOAD_MAX_BYTES)` : `${name} is larger than the limit of ${maxBytes} bytes (FULLTEXT_MAX_BYTES)`, 'file')
  else if (size === 0) refusal = new Unprocessable(`${name} is empty`, 'file')
  else if (!zip && !looksLikePdf(head)) refusal = new Unsupported(`${name} is not a PDF${acceptZip ? ' or a ZIP archive' : ''} (no %PDF- header in its first 1,024 bytes)`)
  else if (!zip && size > maxBytes) refusal = new TooLarge(`${name} is larger than the limit of ${maxBytes} bytes (FULLTEXT_MAX_BYTES)`, 'file')
  if (refusal) {
    await fs.rm(absolute, { force: true })
    return { refusal }
  }
  const received = { absolute, bytes: size, sha256: hash.digest('hex'), originUrl: '', originalName: name, origin }
  if (!zip) return received
  const archive = absolute.replace(/\.pdf$/, '.zip')
  await fs.rename(absolute, archive)
  return { zip: { ...received, absolute: archive } }
}

export interface StoredPdf { fileId: string; duplicate: boolean; sha256: string; size: number }

/**
 * Stores a PDF read from a stream (an entry of a ZIP archive) as a project
 * file, once per content, recording the task that brought it. Returns a
 * refusal (not a PDF, too large, unreadable) instead of throwing: nothing is
 * left on disk or in the database then.
 */
export async function storePdfStream(db: Database, storageDir: string, projectId: string, input: Readable, options: { name: string; origin: string; maxBytes: number; createdBy: string | null; taskId: string }): Promise<StoredPdf | { refusal: string }> {
  const dir = fullTextDir(storageDir, projectId)
  await fs.mkdir(dir, { recursive: true })
  const absolute = path.join(dir, `${randomUUID()}.pdf`)
  const hash = createHash('sha256')
  let size = 0
  let head = Buffer.alloc(0)
  try {
    await pipeline(input, new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length
        if (size > options.maxBytes) { cb(new TooLarge(`larger than the limit of ${options.maxBytes} bytes (FULLTEXT_MAX_BYTES)`)); return }
        hash.update(chunk)
        if (head.length < 1024) head = Buffer.concat([head, chunk.subarray(0, 1024 - head.length)])
        cb(null, chunk)
      }
    }), createWriteStream(absolute))
  } catch (error) {
    await fs.rm(absolute, { force: true })
    return { refusal: error instanceof TooLarge ? error.message : `unreadable: ${(error as Error).message}` }
  }
  if (size === 0 || !looksLikePdf(head)) {
    await fs.rm(absolute, { force: true })
    return { refusal: size === 0 ? 'empty' : 'not a PDF (no %PDF- header in its first 1,024 bytes)' }
  }
  const pdf: DownloadedPdf = { absolute, bytes: size, sha256: hash.digest('hex'), originUrl: '', originalName: options.name, origin: options.origin, taskId: options.taskId }
  try {
    const stored = await db.transaction((tx) => storePdfFile(tx, storageDir, projectId, pdf, options.createdBy))
    return { ...stored, sha256: pdf.sha256, size }
  } catch (error) {
    await fs.rm(absolute, { force: true })
    throw error
  }
}

/**
 * Bulk upload: stores each PDF of the multipart fields "files" (once per
 * content), lists the parts refused, and starts the task "fulltext-bulk",
 * which extracts the PDFs and matches each to an article.
 */
export async function bulkUpload(deps: BulkUploadDeps, projectId: string, userId: string, parts: AsyncIterable<UploadPart> | undefined) {
  if (!parts) throw new Unsupported('send the PDFs or ZIP archives as multipart/form-data in fields named "files"')
  const dir = fullTextDir(deps.storageDir, projectId)
  await fs.mkdir(dir, { recursive: true })
  const stored: Array<{ fileId: string; fileName: string; duplicate: boolean }> = []
  const archives: Array<{ fileId: string; fileName: string; entries: number }> = []
  const rejected: Array<{ fileName: string; reason: string }> = []
  let archiveRefusal: Error | undefined
  for await (const part of parts) {
    if (part.type !== 'file') continue
    if (part.fieldname !== 'files') { part.file.resume(); continue }
    const received = await receivePart(part, dir, deps.config.FULLTEXT_MAX_BYTES, 'bulk', true)
    if ('refusal' in received) { rejected.push({ fileName: path.basename(part.filename || ''), reason: received.refusal.message }); continue }
    if ('zip' in received) {
      const archive = received.zip
      const checked = await checkArchive(archive.absolute, zipLimitsFromConfig(deps.config))
      if ('refusal' in checked) {
        await fs.rm(archive.absolute, { force: true })
        archiveRefusal ??= checked.refusal
        rejected.push({ fileName: archive.originalName, reason: checked.refusal.message })
        continue
      }
      const [row] = await deps.db.insert(files).values({
        projectId, storagePath: path.relative(deps.storageDir, archive.absolute), originalName: archive.originalName, contentType: 'application/zip',
        size: archive.bytes, sha256: archive.sha256, origin: 'bulk', createdBy: userId
      }).returning({ id: files.id })
      archives.push({ fileId: row.id, fileName: archive.originalName, entries: checked.entries })
      continue
    }
    const { fileId, duplicate } = await deps.db.transaction((tx) => storePdfFile(tx, deps.storageDir, projectId, received, userId))
    stored.push({ fileId, fileName: received.originalName, duplicate })
  }
  if (stored.length === 0 && archives.length === 0) {
    // A single refused archive answers with its own status (422 corrupt, 413 too big).
    if (archiveRefusal && rejected.length === 1) throw archiveRefusal
    throw new Invalid(`no PDF: send PDFs or ZIP archives of PDFs in multipart fields named "files"${rejected.length ? ` (refused: ${rejected.map((r) => r.reason).join('; ')})` : ''}`, 'files')
  }
  let task
  try {
    task = await deps.tasks.submit({
      type: 'fulltext-bulk', projectId, createdBy: userId,
      payload: { files: stored.map((f) => ({ fileId: f.fileId, fileName: f.fileName })), ...(archives.length ? { archives: archives.map((a) => ({ fileId: a.fileId, fileName: a.fileName })) } : {}) }
    })
  } catch (error) {
    // No task: the archives would never be read.
    for (const archive of archives) await removeArchive(deps.db, deps.storageDir, projectId, archive.fileId)
    throw error
  }
  const ids = [...stored.map((f) => f.fileId), ...archives.map((a) => a.fileId)]
  await deps.db.update(files).set({ taskId: task.id }).where(and(inArray(files.id, ids), isNull(files.taskId)))
  return { task: toTaskView(task), stored, archives, rejected }
}

/** Opens an uploaded archive to check it (central directory, limits); the refusal is a 422 (corrupt) or a 413 (too big). */
async function checkArchive(absolute: string, limits: ZipLimits): Promise<{ entries: number } | { refusal: Error }> {
  try {
    const zip = await openZip(absolute, limits)
    zip.close()
    return { entries: zip.entries.filter((e) => !e.directory).length }
  } catch (error) {
    if (!(error instanceof ZipRefusedError)) throw error
    return { refusal: error.reason === 'corrupt' ? new Unprocessable(error.message, 'files') : new TooLarge(error.message, 'files') }
  }
}

/** Removes a stored archive (row and file on disk) once read, or when its task could not start. */
export async function removeArchive(db: Database, storageDir: string, projectId: string, fileId: string): Promise<void> {
  const [removed] = await db.delete(files).where(and(eq(files.id, fileId), eq(files.projectId, projectId), eq(files.contentType, 'application/zip')))
    .returning({ storagePath: files.storagePath })
  const absolute = removed && insideStorage(storageDir, removed.storagePath)
  if (absolute) await fs.rm(absolute, { force: true })
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

/** Candidate articles proposed for an unmatched file. */
const MAX_CANDIDATES = 3
/** Below this title similarity an article is not worth proposing. */
const MIN_CANDIDATE_SCORE = 0.3

/**
 * The project's stored PDFs, newest first: by default those no article
 * links ("unmatched"), each with the task that brought it, what the
 * extraction found, and the articles without a full text whose titles come
 * closest to the PDF's title or file name.
 */
export async function listStoredPdfs(db: Database, projectId: string, query: UnmatchedQuery) {
  const linked = sql`EXISTS (SELECT 1 FROM ${articles} a WHERE a.project_id = ${projectId} AND a.full_text_file_id = ${files.id})`
  const where = and(eq(files.projectId, projectId), eq(files.contentType, 'application/pdf'), query.status === 'unmatched' ? sql`NOT ${linked}` : undefined)
  const [{ total }] = await db.select({ total: sql<number>`count(*)::int` }).from(files).where(where)
  const rows = await db.select({
    fileId: files.id, fileName: files.originalName, size: files.size, sha256: files.sha256, origin: files.origin, createdAt: files.createdAt,
    taskId: files.taskId, taskType: tasks.type, status: fullTexts.status, metadata: fullTexts.metadata,
    articleIds: sql<string[]>`coalesce((SELECT array_agg(a.id ORDER BY a.id) FROM ${articles} a WHERE a.project_id = ${projectId} AND a.full_text_file_id = ${files.id}), '{}')`
  }).from(files)
    .leftJoin(tasks, eq(tasks.id, files.taskId))
    .leftJoin(fullTexts, eq(fullTexts.fileId, files.id))
    .where(where)
    .orderBy(desc(files.createdAt), files.id)
    .limit(query.pageSize).offset((query.page - 1) * query.pageSize)
  const lonely = rows.filter((r) => r.articleIds.length === 0)
  const pool = lonely.length === 0 ? [] : await db.select({ id: articles.id, title: articles.title, year: articles.year }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf), isNull(articles.fullTextFileId)))
  const items = rows.map((r) => {
    const metadata = (r.metadata ?? {}) as { title?: string | null; doi?: string | null; pmid?: string | null }
    const stem = r.fileName.replace(/\.pdf$/i, '').replace(/[_-]+/g, ' ')
    const candidates = r.articleIds.length > 0 ? [] : pool
      .map((a) => ({ articleId: a.id, title: a.title, year: a.year, score: Math.max(metadata.title ? titleSimilarity(metadata.title, a.title) : 0, titleSimilarity(stem, a.title)) }))
      .filter((c) => c.score >= MIN_CANDIDATE_SCORE)
      .sort((x, y) => y.score - x.score)
      .slice(0, MAX_CANDIDATES)
      .map((c) => ({ ...c, score: Math.round(c.score * 1000) / 1000 }))
    return {
      fileId: r.fileId, fileName: r.fileName, size: r.size, sha256: r.sha256, origin: r.origin, uploadedAt: r.createdAt.toISOString(),
      taskId: r.taskId, taskType: r.taskType, articleIds: r.articleIds,
      extraction: r.status ? { status: r.status, title: metadata.title ?? null, doi: metadata.doi ?? null, pmid: metadata.pmid ?? null } : null,
      candidates
    }
  })
  return { items, total, page: query.page, pageSize: query.pageSize }
}

/** Deletes a stored PDF that no article links (row, extracted text, file on disk); 409 when an article still uses it. */
export async function deleteUnmatchedPdf(db: Database, storageDir: string, projectId: string, fileId: string): Promise<void> {
  const [file] = await db.select({ id: files.id }).from(files).where(and(eq(files.id, fileId), eq(files.projectId, projectId), eq(files.contentType, 'application/pdf')))
  if (!file) throw new NotFound('no PDF with this id in the project')
  if (!await removeFileIfUnused(db, storageDir, projectId, fileId)) throw new Conflict('an article uses this PDF as its full text: detach it from the article instead')
}
