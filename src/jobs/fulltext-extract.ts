/**
 * Text extraction as a background task: each stored PDF of the batch goes
 * through the extractor (a worker thread with time and memory limits, OCR of
 * pages without text), and its pages and sections, or its error, are stored
 * in one transaction per file. A bad PDF is a per-file error in the result,
 * never a failed task.
 */
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, inArray, isNull, or } from 'drizzle-orm'
import { articles, fullTexts } from '../db/schema.ts'
import { matchPdf, type MatchRule } from '../fulltext/match.ts'
import { limitsFromConfig, PdfExtractor, type ExtractOutcome } from '../fulltext/extract.ts'
import { insideStorage } from '../services/fulltext.ts'
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
  files: Type.Array(Type.Object({ fileId: Type.String(), fileName: Type.String() }))
})
export type FullTextBulkPayload = Static<typeof FullTextBulkPayload>

export interface FullTextBulkResult {
  requested: number
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
  const fileIds = payload.files.map((f) => f.fileId)
  const extraction = summarise(await extractFiles(ctx, await extractionTargets(ctx.db, projectId, { fileIds })))
  const facts = new Map((await ctx.db.select({ fileId: fullTexts.fileId, metadata: fullTexts.metadata }).from(fullTexts)
    .where(and(eq(fullTexts.projectId, projectId), inArray(fullTexts.fileId, fileIds)))).map((r) => [r.fileId, r.metadata as { doi?: string | null; pmid?: string | null; title?: string | null }]))
  const candidates = await ctx.db.select({ id: articles.id, doi: articles.doi, pmid: articles.pmid, title: articles.title }).from(articles)
    .where(and(eq(articles.projectId, projectId), isNull(articles.duplicateOf)))
  const result: FullTextBulkResult = { requested: payload.files.length, extraction, matched: [], unmatched: [] }
  for (const file of payload.files) {
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
