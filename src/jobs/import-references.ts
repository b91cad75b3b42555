/**
 * Import of one uploaded bibliography file as a background task. The whole
 * batch (source batch row, articles, imported labels) is written in one
 * transaction: a failed, cancelled or killed import leaves nothing behind
 * and can simply be retried.
 */
import { eq } from 'drizzle-orm'
import path from 'node:path'
import { articles, decisions, files, sourceBatches } from '../db/schema.ts'
import { openReferenceFile } from '../references/import.ts'
import type { FormatId } from '../references/formats/types.ts'
import type { ReferenceRecord, SourcePosition } from '../references/model.ts'
import { recordToRow } from '../services/articles.ts'
import { deduplicateProject, type DedupSummary } from '../services/dedup.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

export interface ImportPayload {
  fileId: string
  format?: FormatId
  /** Database of origin to record for the batch (PRISMA "records identified" per source). */
  sourceDatabase?: string
  /** Bring labels carried by the file (label_included, RIS notes) in as prior decisions. */
  importLabels?: boolean
}

export interface ImportResult {
  batchId: string
  format: string
  encoding: string
  recordsRead: number
  imported: number
  errorCount: number
  /** The first errors, with where they are in the file. */
  errors: Array<{ position: SourcePosition; message: string }>
  labelsImported: number
  deduplication: DedupSummary | { error: string }
}

const INSERT_CHUNK = 1000
const MAX_REPORTED_ERRORS = 500

export async function importReferences(ctx: JobContext): Promise<ImportResult> {
  const payload = ctx.task.payload as ImportPayload
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('import task has no project')
  const [file] = await ctx.db.select().from(files).where(eq(files.id, payload.fileId))
  if (!file || file.projectId !== projectId) throw new TaskError('the uploaded file no longer exists')

  let opened
  try {
    opened = await openReferenceFile(path.join(ctx.storageDir, file.storagePath), { fileName: file.originalName, format: payload.format })
  } catch (err) {
    throw new TaskError((err as Error).message)
  }

  const importLabels = payload.importLabels ?? true
  const errors: ImportResult['errors'] = []
  let errorCount = 0
  let recordsRead = 0
  let labelsImported = 0

  const result = await ctx.db.transaction(async (tx) => {
    const [batch] = await tx.insert(sourceBatches).values({
      projectId, taskId: ctx.task.id, kind: 'file', fileName: file.originalName, format: opened.format.id,
      encoding: opened.encoding, sourceDatabase: payload.sourceDatabase ?? null, createdBy: ctx.task.createdBy
    }).returning()

    let pending: Array<{ record: ReferenceRecord; index: number }> = []
    const flush = async () => {
      if (pending.length === 0) return
      const chunk = pending
      pending = []
      const inserted = await tx.insert(articles).values(chunk.map(({ record, index }) => ({
        ...recordToRow({ ...record, sourceDatabase: record.sourceDatabase ?? payload.sourceDatabase }),
        projectId, batchId: batch.id, sourceIndex: index
      }))).returning({ id: articles.id })
      if (importLabels) {
        const labelled = chunk.map((c, i) => ({ label: c.record.label, articleId: inserted[i].id })).filter((l) => l.label)
        if (labelled.length > 0) {
          await tx.insert(decisions).values(labelled.map((l) => ({
            projectId, articleId: l.articleId, reviewerId: null, stage: 'title_abstract' as const,
            decision: l.label!, source: 'import', note: `label imported from ${file.originalName}`
          })))
          labelsImported += labelled.length
        }
      }
    }

    for await (const item of opened.items) {
      if (item.kind === 'error') {
        errorCount++
        if (errors.length < MAX_REPORTED_ERRORS) errors.push({ position: item.position, message: item.message })
        continue
      }
      pending.push({ record: item.record, index: recordsRead })
      recordsRead++
      if (pending.length >= INSERT_CHUNK) {
        await flush()
        await ctx.progress(0.5, `${recordsRead} records imported`)
      }
    }
    await flush()
    if (recordsRead === 0) {
      throw new TaskError(errorCount > 0
        ? `no record could be imported: ${errorCount} malformed record(s), first: ${errors[0]?.message}`
        : 'the file holds no records', { errors, errorCount })
    }
    await tx.update(sourceBatches).set({ recordsRead: recordsRead + errorCount, recordsImported: recordsRead, recordErrors: errorCount })
      .where(eq(sourceBatches.id, batch.id))
    // Checked inside the transaction: a cancellation that arrived meanwhile rolls the whole batch back.
    await ctx.ensureNotCancelled()
    return { batchId: batch.id }
  })

  await ctx.emit('articles.imported', { batchId: result.batchId, count: recordsRead })
  // Deduplication runs after every import, outside the import's transaction: the batch is safe even if it fails.
  await ctx.progress(0.9, 'finding duplicates')
  let deduplication: DedupSummary | { error: string }
  try {
    deduplication = await deduplicateProject(ctx.db, projectId)
    await ctx.emit('duplicates.updated', { ...deduplication })
  } catch (err) {
    ctx.log.error({ err, projectId }, 'deduplication after import failed')
    deduplication = { error: 'deduplication failed; run it again from the duplicates endpoint' }
  }
  return {
    deduplication,
    batchId: result.batchId, format: opened.format.id, encoding: opened.encoding, recordsRead: recordsRead + errorCount,
    imported: recordsRead, errorCount, errors, labelsImported
  }
}
