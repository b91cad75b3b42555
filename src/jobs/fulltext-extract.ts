/**
 * Text extraction as a background task: each stored PDF of the batch goes
 * through the extractor (a worker thread with time and memory limits, OCR of
 * pages without text), and its pages and sections, or its error, are stored
 * in one transaction per file. A bad PDF is a per-file error in the result,
 * never a failed task.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, inArray, isNull, or } from 'drizzle-orm'
import { articles, files, fullTexts } from '../db/schema.ts'
import { matchPdf, type MatchRule } from '../fulltext/match.ts'
import { limitsFromConfig, PdfExtractor, type ExtractOutcome } from '../fulltext/extract.ts'
import { insideStorage, removeArchive, storePdfStream } from '../services/fulltext.ts'
import { entryBaseName, openZip, zipLimitsFromConfig, ZipRefusedError, type ZipEntryInfo } from '../fulltext/zip.ts'
import { extractionTargets, storeExtraction, type ExtractionTarget } from '../services/fulltext-text.ts'
import { indexProject, type IndexRunResult } from '../services/rag.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export const FullTextExtractPayload = Type.Object({
  /** Stored PDFs to extract; absent: the full texts of `articleIds`, or of every article. */
  fileIds: Type.Optional(Type.Array(Type.String())),
  articleIds: Type.Optional(Type.Array(Type.String())),
  /** Extract again files already extracted. */
  force: Type.Optional(Type.Boolean())
})
export type FullTextExtractPayload = Static<typeof FullTextExtractPayload>

export interface FileExtraction {
  fileId: string
  fileName: string
  status: 'ok' | 'error'
  pageCount?: number
  /** Pages read by OCR and pages OCR could not read. */
  ocrPages?: number
  ocrFailures?: number
  metadata?: { title?: string; doi?: string; pmid?: string }
  error?: { code: string; message: string }
}

export interface FullTextExtractResult {
  requested: number
  extracted: number
  errors: number
  files: FileExtraction[]
  /** The chat index of the files extracted (src/services/rag.ts), or why it could not be updated. */
  index?: IndexRunResult | { error: string }
}

/** Indexes the files just extracted for chat; a failure is reported, never fails the extraction. */
async function indexExtracted(ctx: JobContext, files: FileExtraction[]): Promise<IndexRunResult | { error: string } | undefined> {
  const fileIds = files.filter((f) => f.status === 'ok').map((f) => f.fileId)
  if (fileIds.length === 0) return undefined
  try {
    return await indexProject({ db: ctx.db, config: ctx.config, signal: ctx.signal }, ctx.task.projectId!, { fileIds })
  } catch (error) {
    if (ctx.signal.aborted) throw error
    return { error: (error as Error).message }
  }
}

/**
 * Extracts and stores the given files one after another in one worker;
 * `onFile` sees each outcome (for callers that go on with it, as the bulk
 * upload's matching does).
 */
export async function extractFiles(
  ctx: JobContext, targets: ExtractionTarget[], onFile?: (target: ExtractionTarget, outcome: ExtractOutcome, done: number) => Promise<void>
): Promise<FileExtraction[]> {
  const projectId = ctx.task.projectId!
  const extractor = new PdfExtractor(limitsFromConfig(ctx.config))
  const results: FileExtraction[] = []
  try {
    for (const target of targets) {
      await ctx.ensureNotCancelled()
      const absolute = insideStorage(ctx.storageDir, target.storagePath)
      const outcome: ExtractOutcome = absolute
        ? await extractor.extract(absolute)
        : { ok: false, error: { code: 'failed', message: 'the stored path leads out of the storage directory' } }
      await storeExtraction(ctx.db, projectId, target.fileId, outcome)
      const base = { fileId: target.fileId, fileName: target.originalName }
      if (outcome.ok) {
        const { metadata } = outcome.text
        results.push({
          ...base, status: 'ok', pageCount: metadata.pageCount,
          ocrPages: metadata.ocrPages.filter((p) => p.status === 'done').length, ocrFailures: metadata.ocrPages.filter((p) => p.status !== 'done').length,
          metadata: { ...(metadata.title ? { title: metadata.title } : {}), ...(metadata.doi ? { doi: metadata.doi } : {}), ...(metadata.pmid ? { pmid: metadata.pmid } : {}) }
        })
      } else {
        results.push({ ...base, status: 'error', error: outcome.error })
      }
      await ctx.emit('fulltext.extracted', { fileId: target.fileId, status: outcome.ok ? 'ok' : 'error' })
      await onFile?.(target, outcome, results.length)
      await ctx.progress(results.length / Math.max(1, targets.length), `${results.length} of ${targets.length} files extracted`)
    }
  } finally {
    await extractor.close()
  }
  return results
}

export function summarise(files: FileExtraction[]): FullTextExtractResult {
  return { requested: files.length, extracted: files.filter((f) => f.status === 'ok').length, errors: files.filter((f) => f.status === 'error').length, files }
}

export async function extractFullTexts(ctx: JobContext, payload: FullTextExtractPayload): Promise<FullTextExtractResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('full-text extraction task has no project')
  const targets = await extractionTargets(ctx.db, projectId, payload)
  const result = summarise(await extractFiles(ctx, targets))
  const index = await indexExtracted(ctx, result.files)
  return index ? { ...result, index } : result
}

export const FullTextBulkPayload = Type.Object({
  files: Type.Array(Type.Object({ fileId: Type.String(), fileName: Type.String() })),
  /** Stored ZIP archives whose PDFs (at any depth) join the batch; each archive is removed once read. */
  archives: Type.Optional(Type.Array(Type.Object({ fileId: Type.String(), fileName: Type.String() })))
})
export type FullTextBulkPayload = Static<typeof FullTextBulkPayload>

/** What became of one archive and of each of its entries. */
export interface ArchiveOutcome {
  fileName: string
  entries: number
  /** PDFs stored (`duplicate`: the project already had that PDF, or the archive held it twice). */
  pdfs: Array<{ path: string; fileId: string; duplicate: boolean }>
  /** Entries not stored, with the reason (not a PDF, encrypted, too large, unreadable). */
  skipped: Array<{ path: string; reason: string }>
  /** The archive could not be read at all. */
  error?: string
}

export interface FullTextBulkResult {
  requested: number
  archives?: ArchiveOutcome[]
  extraction: FullTextExtractResult
  /** Files matched to an article, with the rule that matched; `attached` is false when the article already had another full text. */
  matched: Array<{ fileId: string; fileName: string; articleId: string; rule: MatchRule; similarity?: number; attached: boolean }>
  /** Files kept unattached: `POST …/fulltext/files/:fileId/match` attaches them by hand. */
  unmatched: Array<{ fileId: string; fileName: string }>
}

/** Bulk upload: extracts the uploaded PDFs (those not extracted yet), then matches each to an article and attaches it. */
export async function bulkFullTexts(ctx: JobContext, payload: FullTextBulkPayload): Promise<FullTextBulkResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('bulk full-text task has no project')
  const archives: ArchiveOutcome[] = []
  const batch = [...payload.files]
  if (payload.archives?.length) {
    for (const [i, archive] of payload.archives.entries()) {
      const outcome = await unpackArchive(scaledProgress(ctx, i / payload.archives.length * UNPACK_SHARE, (i + 1) / payload.archives.length * UNPACK_SHARE), projectId, archive)
      archives.push(outcome)
      for (const pdf of outcome.pdfs) if (!batch.some((f) => f.fileId === pdf.fileId)) batch.push({ fileId: pdf.fileId, fileName: entryBaseName(pdf.path) })
    }
  }
  const fileIds = batch.map((f) => f.fileId)
  const extractCtx = payload.archives?.length ? scaledProgress(ctx, UNPACK_SHARE, 1) : ctx
  const extraction = summarise(fileIds.length ? await extractFiles(extractCtx, await extractionTargets(ctx.db, projectId, { fileIds })) : [])
  const facts = new Map((await ctx.db.select({ fileId: fullTexts.fileId, metadata: fullTexts.metadata }).from(fullTexts)
    .where(and(eq(fullTexts.projectId, projectId), inArray(fullTexts.fileId, fileIds)))).map((r) => [r.fileId, r.metadata as { doi?: string | null; pmid?: string | null; title?: string | null }]))
  const candidates = await ctx.db.select({ id: articles.id, doi: articles.doi, pmid: articles.pmid, title: articles.title }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf)))
  const result: FullTextBulkResult = { requested: batch.length, ...(payload.archives ? { archives } : {}), extraction, matched: [], unmatched: [] }
  for (const file of batch) {
    const match = matchPdf({ fileName: file.fileName, ...facts.get(file.fileId) }, candidates)
    if (!match) { result.unmatched.push(file); continue }
    const linked = await ctx.db.update(articles).set({ fullTextFileId: file.fileId })
      .where(and(eq(articles.id, match.articleId), or(isNull(articles.fullTextFileId), eq(articles.fullTextFileId, file.fileId)))).returning({ id: articles.id })
    result.matched.push({ ...file, ...match, attached: linked.length > 0 })
    if (linked.length > 0) await ctx.emit('fulltext.attached', { articleId: match.articleId, fileId: file.fileId })
  }
  const index = await indexExtracted(ctx, extraction.files)
  if (index) result.extraction.index = index
  return result
}

/** Share of the bulk task's progress given to reading archives (extraction and matching take the rest). */
const UNPACK_SHARE = 0.2

/** The context with its progress mapped into [from, to] of the task's. */
export function scaledProgress(ctx: JobContext, from: number, to: number): JobContext {
  return { ...ctx, progress: (fraction, message) => ctx.progress(from + (to - from) * fraction, message) }
}

/**
 * Reads a stored archive: each PDF at any depth is stored (once per content,
 * recording this task), other entries are listed as skipped; the archive is
 * removed afterwards. An archive that cannot be opened is reported, never a
 * failed task (the request checked it already).
 */
async function unpackArchive(ctx: JobContext, projectId: string, archive: { fileId: string; fileName: string }): Promise<ArchiveOutcome> {
  const outcome: ArchiveOutcome = { fileName: archive.fileName, entries: 0, pdfs: [], skipped: [] }
  const [row] = await ctx.db.select({ storagePath: files.storagePath }).from(files).where(and(eq(files.id, archive.fileId), eq(files.projectId, projectId)))
  const absolute = row && insideStorage(ctx.storageDir, row.storagePath)
  if (!absolute) return { ...outcome, error: 'the archive is no longer stored' }
  let zip
  try {
    zip = await openZip(absolute, zipLimitsFromConfig(ctx.config))
  } catch (error) {
    if (error instanceof ZipRefusedError) return { ...outcome, error: error.message }
    throw error
  }
  try {
    const entries = zip.entries.filter((e) => !e.directory)
    outcome.entries = entries.length
    for (const [i, entry] of entries.entries()) {
      await ctx.ensureNotCancelled()
      const reason = entrySkipReason(entry, ctx.config.FULLTEXT_MAX_BYTES)
      if (reason) {
        outcome.skipped.push({ path: entry.name, reason })
      } else {
        const stored = await zip.open(entry).then(
          (stream) => storePdfStream(ctx.db, ctx.storageDir, projectId, stream, {
            name: entryBaseName(entry.name), origin: 'zip', maxBytes: ctx.config.FULLTEXT_MAX_BYTES, createdBy: ctx.task.createdBy, taskId: ctx.task.id
          }),
          (error: Error) => ({ refusal: `unreadable: ${error.message}` }))
        if ('refusal' in stored) outcome.skipped.push({ path: entry.name, reason: stored.refusal })
        else outcome.pdfs.push({ path: entry.name, fileId: stored.fileId, duplicate: stored.duplicate || outcome.pdfs.some((p) => p.fileId === stored.fileId) })
      }
      await ctx.progress((i + 1) / entries.length, `${archive.fileName}: ${i + 1} of ${entries.length} entries read`)
    }
  } finally {
    zip.close()
  }
  await removeArchive(ctx.db, ctx.storageDir, projectId, archive.fileId)
  await ctx.emit('fulltext.archive', { fileName: archive.fileName, entries: outcome.entries, pdfs: outcome.pdfs.length, skipped: outcome.skipped.length })
  return outcome
}

/** Why an entry is not read as a PDF, if it is not. */
export function entrySkipReason(entry: ZipEntryInfo, maxBytes: number): string | undefined {
  if (!/\.pdf$/i.test(entry.name)) return 'not a PDF'
  if (entry.encrypted) return 'encrypted entry (password-protected archive)'
  if (entry.size > maxBytes) return `larger than the limit of ${maxBytes} bytes (FULLTEXT_MAX_BYTES)`
  return undefined
}
