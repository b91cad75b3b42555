/**
 * Accepting a bibliography file into a project (uploaded or downloaded):
 * checks the format now, so that a file that is not a bibliography gets a
 * clear 4xx instead of a failed task, then records the file and queues the
 * import task.
 */
import fs from 'node:fs/promises'
import path from 'node:path'
import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { eq } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { files } from '../db/schema.ts'
import { Invalid, TooLarge, Unprocessable, Unsupported } from '../errors.ts'
import { checkFileName, checkText } from '../http/input-guard.ts'
import { safeDownload, SafeFetchError } from '../net/safe-fetch.ts'
import { toTaskView, type TaskView } from '../tasks/store.ts'
import { openReferenceFile, UnsupportedFormatError } from '../references/import.ts'
import { formats } from '../references/formats/index.ts'
import type { FormatId } from '../references/formats/types.ts'
import type { TaskService } from '../tasks/service.ts'
import type { TaskRow } from '../tasks/store.ts'
import { projectStorageDir } from './projects.ts'
import { looksLikeZip, openZip, zipLimitsFromConfig, ZipRefusedError, type OpenedZip } from '../fulltext/zip.ts'
import { zoteroRdfEntry } from '../fulltext/zotero.ts'
import { zoteroRdfFormat } from '../references/formats/zotero-rdf.ts'

export interface StoredFile {
  absolute: string
  name: string
  size: number
  sha256: string
  contentType?: string
  origin: 'upload' | 'url'
  originUrl?: string
}

export interface ImportOptions {
  format?: string
  sourceDatabase?: string
  importLabels?: boolean
}

/**
 * Where an incoming file is written before it is accepted: a generated name
 * (any original name fits the file system), keeping a short extension; the
 * original name is kept in `files.original_name`.
 */
export async function newUploadPath(storageDir: string, projectId: string, fileName: string): Promise<string> {
  const dir = path.join(projectStorageDir(storageDir, projectId), 'uploads')
  await fs.mkdir(dir, { recursive: true })
  const extension = /\.[A-Za-z0-9]{1,10}$/.exec(path.basename(fileName))?.[0] ?? ''
  return path.join(dir, `${randomUUID()}${extension.toLowerCase()}`)
}

type ZipConfig = Parameters<typeof zipLimitsFromConfig>[0]

export async function acceptBibliography(deps: { db: Database; tasks: TaskService; storageDir: string; config: ZipConfig }, projectId: string, userId: string, stored: StoredFile, options: ImportOptions): Promise<TaskRow> {
  const reject = async <E>(error: E): Promise<E> => {
    await fs.rm(stored.absolute, { force: true })
    return error
  }
  const format = options.format as FormatId | undefined
  if (format && !formats.some((f) => f.id === format)) {
    throw await reject(new Invalid(`unknown format "${format}"; expected one of ${formats.map((f) => f.id).join(', ')}`, 'format'))
  }
  // The request field the content came from: the uploaded file, or the downloaded URL.
  const field = stored.origin === 'url' ? 'url' : 'file'
  if (stored.size === 0) throw await reject(new Unprocessable(field === 'url' ? `${stored.originUrl} answered with an empty file` : 'the file is empty', field))
  // A ZIP is a Zotero export with files unless it is an Office document (XLSX is a ZIP too) or the
  // caller named another format, which its reader then checks.
  if ((!format || format === 'zotero-rdf') && await startsLikeZip(stored.absolute) && !await isOfficeDocument(stored.absolute, deps.config.ZIP_MAX_ENTRIES)) {
    return acceptZoteroArchive(deps, projectId, userId, stored, options, field).catch(async (error: unknown) => { throw await reject(error) })
  }
  try {
    await openReferenceFile(stored.absolute, { fileName: stored.name, format })
  } catch (err) {
    if (err instanceof UnsupportedFormatError) throw await reject(new Unprocessable(err.message, field))
    await fs.rm(stored.absolute, { force: true })
    throw err
  }
  let fileId: string | undefined
  try {
    const [file] = await deps.db.insert(files).values({
      projectId, storagePath: path.relative(deps.storageDir, stored.absolute), originalName: stored.name, contentType: stored.contentType ?? null,
      size: stored.size, sha256: stored.sha256, origin: stored.origin, originUrl: stored.originUrl ?? null, createdBy: userId
    }).returning()
    fileId = file.id
    return await deps.tasks.submit({
      type: 'import-references', projectId, createdBy: userId,
      payload: { fileId: file.id, format, sourceDatabase: options.sourceDatabase || undefined, importLabels: options.importLabels ?? true }
    })
  } catch (err) {
    // No task (the queue is down, or the database failed): neither the row nor the file may stay behind.
    if (fileId) await deps.db.delete(files).where(eq(files.id, fileId)).catch(() => {})
    throw await reject(err)
  }
}

export interface ImportDeps { db: Database; tasks: TaskService; storageDir: string; config: { UPLOAD_MAX_BYTES: number; ALLOW_PRIVATE_DOWNLOADS: boolean } & ZipConfig }

/** A part of a multipart request, as @fastify/multipart gives it. */
export type UploadPart =
  | { type: 'field'; fieldname: string; value: unknown }
  | { type: 'file'; fieldname: string; filename: string; mimetype: string; file: Readable & { truncated: boolean } }

/**
 * Streams an uploaded bibliography (the multipart field "file") to storage,
 * hashing it on the way, then accepts it (see acceptBibliography). Optional
 * fields: format, sourceDatabase, importLabels ("false" to skip labels).
 * `parts` is undefined when the request is not multipart. A refusal waits for
 * the end of the request (the rest is read and dropped), so that it is sent at
 * once, and leaves no file behind.
 */
export async function importUpload(deps: ImportDeps, projectId: string, userId: string, parts: AsyncIterable<UploadPart> | undefined): Promise<TaskView> {
  if (!parts) throw new Unsupported('send the file as multipart/form-data in a field named "file"')
  const fields: Record<string, string> = {}
  let stored: StoredFile | undefined
  let refusal: unknown
  const check = (fn: () => void) => { try { fn() } catch (err) { refusal ??= err } }
  for await (const part of parts) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value)
      check(() => { checkText(`${part.fieldname} (field name)`, part.fieldname, 100); checkText(part.fieldname, fields[part.fieldname], 1000) })
      continue
    }
    const name = path.basename(part.filename || 'upload')
    if (part.fieldname === 'file') check(() => checkFileName('file', name))
    if (refusal || part.fieldname !== 'file' || stored) {
      part.file.resume()
      continue
    }
    const absolute = await newUploadPath(deps.storageDir, projectId, name)
    const hash = createHash('sha256')
    let size = 0
    await pipeline(part.file, new Transform({
      transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk) }
    }), createWriteStream(absolute))
    if (part.file.truncated) {
      await fs.rm(absolute, { force: true })
      throw new TooLarge(`file is larger than the upload limit of ${deps.config.UPLOAD_MAX_BYTES} bytes`, 'file')
    }
    stored = { absolute, size, sha256: hash.digest('hex'), name, contentType: part.mimetype, origin: 'upload' }
  }
  if (refusal) {
    if (stored) await fs.rm(stored.absolute, { force: true })
    throw refusal
  }
  if (!stored) throw new Invalid('no file: send it in a multipart field named "file"', 'file')
  return toTaskView(await acceptBibliography(deps, projectId, userId, stored, {
    format: fields.format, sourceDatabase: fields.sourceDatabase, importLabels: fields.importLabels !== 'false'
  }))
}

/** Downloads a bibliography from a public http(s) URL (private addresses refused unless ALLOW_PRIVATE_DOWNLOADS), then accepts it. */
export async function importFromUrl(deps: ImportDeps, projectId: string, userId: string, request: ImportOptions & { url: string }): Promise<TaskView> {
  let url: URL
  try {
    url = new URL(request.url)
  } catch {
    throw new Invalid('url is not a valid URL (check the host, the port and the brackets of an IPv6 address)', 'url')
  }
  const name = path.basename(url.pathname) || 'download'
  const absolute = await newUploadPath(deps.storageDir, projectId, name)
  let downloaded
  try {
    downloaded = await safeDownload(request.url, {
      dest: absolute, maxBytes: deps.config.UPLOAD_MAX_BYTES, timeoutMs: 60000,
      ...(deps.config.ALLOW_PRIVATE_DOWNLOADS ? { allowAddress: () => true } : {})
    })
  } catch (err) {
    await fs.rm(absolute, { force: true })
    if (err instanceof SafeFetchError) {
      const message = `could not download ${err.url}: ${err.message}`
      if (err.reason === 'too-large') throw new TooLarge(message, 'url')
      if (err.reason === 'blocked-address' || err.reason === 'unsupported-scheme' || err.reason === 'invalid-url') throw new Invalid(message, 'url')
      throw new Unprocessable(message, 'url')
    }
    throw err
  }
  return toTaskView(await acceptBibliography(deps, projectId, userId, {
    absolute, name, size: downloaded.bytes, sha256: downloaded.sha256, contentType: downloaded.contentType, origin: 'url', originUrl: downloaded.url
  }, request))
}

async function startsLikeZip(absolute: string): Promise<boolean> {
  const handle = await fs.open(absolute, 'r')
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0)
    return looksLikeZip(buffer.subarray(0, bytesRead))
  } finally {
    await handle.close()
  }
}

/**
 * An Office Open XML (XLSX, DOCX) or OpenDocument file: a ZIP with `[Content_Types].xml` or a
 * `mimetype` entry. Only the central directory is read (nothing inflated, so a decompression bomb
 * reaches its reader, which refuses it naming the limit); an unreadable ZIP is not one.
 */
async function isOfficeDocument(absolute: string, maxEntries: number): Promise<boolean> {
  let zip: OpenedZip
  try {
    zip = await openZip(absolute, { maxEntries, maxUncompressedBytes: Number.POSITIVE_INFINITY, maxRatio: Number.POSITIVE_INFINITY })
  } catch {
    return false
  }
  try {
    return zip.entries.some((e) => e.name === '[Content_Types].xml' || e.name === 'mimetype')
  } finally {
    zip.close()
  }
}

/**
 * A ZIP given to the import is a Zotero export with files ("Export
 * Collection… > Zotero RDF, Export Files"): its `.rdf` (the shallowest one)
 * must be there and read as Zotero RDF, checked now so that anything else is
 * a 422. The task "import-zotero" imports the records, then attaches the PDFs.
 */
async function acceptZoteroArchive(deps: { db: Database; tasks: TaskService; storageDir: string; config: ZipConfig }, projectId: string, userId: string, stored: StoredFile, options: ImportOptions, field: string): Promise<TaskRow> {
  let zip
  try {
    zip = await openZip(stored.absolute, zipLimitsFromConfig(deps.config))
  } catch (error) {
    if (!(error instanceof ZipRefusedError)) throw error
    throw error.reason === 'corrupt' ? new Unprocessable(error.message, field) : new TooLarge(error.message, field)
  }
  try {
    const rdf = zoteroRdfEntry(zip.entries)
    if (!rdf) throw new Unprocessable('this ZIP archive holds no Zotero RDF file (.rdf): export with "Zotero RDF" and "Export Files", or send ZIPs of PDFs to POST …/fulltext/bulk', field)
    let head = ''
    for await (const chunk of await zip.open(rdf)) {
      head += (chunk as Buffer).toString('utf8')
      if (head.length >= 4096) break
    }
    if (!zoteroRdfFormat.sniff(head.slice(0, 4096))) throw new Unprocessable(`${rdf.name} in the archive is not a Zotero RDF file`, field)
  } finally {
    zip.close()
  }
  let fileId: string | undefined
  try {
    const [file] = await deps.db.insert(files).values({
      projectId, storagePath: path.relative(deps.storageDir, stored.absolute), originalName: stored.name, contentType: 'application/zip',
      size: stored.size, sha256: stored.sha256, origin: stored.origin, originUrl: stored.originUrl ?? null, createdBy: userId
    }).returning()
    fileId = file.id
    const task = await deps.tasks.submit({
      type: 'import-zotero', projectId, createdBy: userId,
      payload: { fileId: file.id, sourceDatabase: options.sourceDatabase || undefined, importLabels: options.importLabels ?? true }
    })
    await deps.db.update(files).set({ taskId: task.id }).where(eq(files.id, file.id))
    return task
  } catch (err) {
    if (fileId) await deps.db.delete(files).where(eq(files.id, fileId)).catch(() => {})
    throw err
  }
}
