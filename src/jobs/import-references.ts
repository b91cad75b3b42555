/**
 * Import of one uploaded bibliography file as a background task. Records
 * stream from the parser straight into PostgreSQL with COPY, inside one
 * transaction with the source batch, the original records (compressed in
 * chunks, src/services/originals.ts) and the imported labels: a failed,
 * cancelled or killed import leaves nothing behind and can simply be retried.
 */
import { randomUUID } from 'node:crypto'
import path from 'node:path'
import { Type, type Static } from '@sinclair/typebox'
import { and, eq } from 'drizzle-orm'
import { copyInStatements, copyInto } from '../db/copy.ts'
import { files, sourceBatches } from '../db/schema.ts'
import { canonicalDatabase, recordDatabase } from '../references/databases.ts'
import { openReferenceFile, type OpenedReferences } from '../references/import.ts'
import { ImportLimitError, importLimits } from '../references/limits.ts'
import type { FormatId } from '../references/formats/types.ts'
import type { SourcePosition } from '../references/model.ts'
import { labelBlockFromNotes, type LabelDecision } from '../references/label-block.ts'
import { carriedDecisions } from '../export/labels.ts'
import { STAGES } from '../services/screening-settings.ts'
import { recordToRow } from '../services/articles.ts'
import { OriginalsWriter } from '../services/originals.ts'
import { deduplicateProject, type DedupSummary } from '../services/dedup.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'

const FORMAT_IDS: readonly FormatId[] = ['ris', 'bibtex', 'medline', 'pubmed-xml', 'csl-json', 'zotero-rdf', 'endnote-xml', 'wos', 'csv', 'tsv', 'xlsx']

export const ImportPayload = Type.Object({
  fileId: Type.String(),
  format: Type.Optional(Type.Union(FORMAT_IDS.map((id) => Type.Literal(id)))),
  /** Database of origin of the records that do not name their own (PRISMA "records identified" per source). */
  sourceDatabase: Type.Optional(Type.String()),
  /** Bring labels carried by the file (label_included, RIS notes) in as prior decisions. */
  importLabels: Type.Optional(Type.Boolean())
})
export type ImportPayload = Static<typeof ImportPayload>

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
  /**
   * Set when an earlier attempt of the task committed the batch and died before finishing: the batch
   * was kept as it was (counts from it; its record errors and labels are not listed again).
   */
  resumedAfterCommit?: true
}

/** Deduplication of the project after an import; its failure is reported in the result, never a failed import. */
async function deduplicateAfterImport(ctx: JobContext, projectId: string): Promise<DedupSummary | { error: string }> {
  await ctx.progress(STORED_PROGRESS, 'finding duplicates')
  try {
    const deduplication = await deduplicateProject(ctx.db, projectId,
      (fraction, message) => ctx.progress(STORED_PROGRESS + (1 - STORED_PROGRESS) * fraction, message))
    await ctx.emit('duplicates.updated', { ...deduplication })
    return deduplication
  } catch (err) {
    ctx.log.error({ err, projectId }, 'deduplication after import failed')
    return { error: 'deduplication failed; run it again from the duplicates endpoint' }
  }
}

const MAX_REPORTED_ERRORS = 500

/** A PostgreSQL text[] literal. */
function textArray(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`).join(',')}}`
}
/** Records between two progress reports (which are written at most every 250 ms anyway). */
const PROGRESS_EVERY = 200
/** Progress while the file is parsed and stored goes up to this; deduplication takes the rest. */
const STORED_PROGRESS = 0.9
/** Rows per COPY statement: see copyInStatements. */
const ROWS_PER_COPY = 1000

export const ARTICLE_COPY_COLUMNS = [
  'id', 'project_id', 'batch_id', 'source_index', 'title', 'abstract', 'authors', 'year', 'journal', 'volume', 'issue', 'pages',
  'doi', 'pmid', 'pmcid', 'arxiv_id', 'type', 'source_database', 'data', 'original', 'completeness'
]

/**
 * Imports the records of the payload's file; `readFrom` reads them from
 * another stored path instead (the RDF taken out of a Zotero archive, which
 * stays the batch's file).
 */
export async function importReferences(ctx: JobContext, payload: ImportPayload, readFrom?: string): Promise<ImportResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('import task has no project')
  const [file] = await ctx.db.select().from(files).where(eq(files.id, payload.fileId))
  if (!file || file.projectId !== projectId) throw new TaskError('the uploaded file no longer exists')

  let opened: OpenedReferences
  try {
    opened = await openReferenceFile(readFrom ?? path.join(ctx.storageDir, file.storagePath), {
      fileName: file.originalName, format: payload.format, limits: importLimits(ctx.config)
    })
  } catch (err) {
    throw new TaskError((err as Error).message)
  }

  // A retried attempt of a task whose batch was committed (its process died after COMMIT, during the
  // deduplication): the batch stands; importing the file again would add every record twice.
  const [committed] = await ctx.db.select().from(sourceBatches).where(and(eq(sourceBatches.taskId, ctx.task.id), eq(sourceBatches.projectId, projectId)))
  if (committed) {
    ctx.log.info({ batchId: committed.id }, 'import already committed by an earlier attempt: only deduplication runs again')
    return {
      deduplication: await deduplicateAfterImport(ctx, projectId), batchId: committed.id, format: committed.format ?? opened.format.id,
      encoding: committed.encoding ?? opened.encoding, recordsRead: committed.recordsRead, imported: committed.recordsImported,
      errorCount: committed.recordErrors, errors: [], labelsImported: 0, resumedAfterCommit: true
    }
  }

  const importLabels = payload.importLabels ?? true
  const errors: ImportResult['errors'] = []
  const labels: Array<{ articleId: string; label: LabelDecision; fromFile: boolean }> = []
  let errorCount = 0
  let imported = 0
  const batchId = randomUUID()
  const originals = new OriginalsWriter(ctx.task.id)

  const limits = importLimits(ctx.config)
  async function* rows(): AsyncGenerator<unknown[]> {
    try {
      yield* storedRows()
    } catch (err) {
      // An upload over a limit: the message names the limit and its variable.
      if (err instanceof ImportLimitError) throw new TaskError(err.message)
      throw err
    }
  }
  async function* storedRows(): AsyncGenerator<unknown[]> {
    for await (const item of opened.items) {
      if (imported + errorCount >= limits.maxRows) throw ImportLimitError.rows(limits)
      if ((imported + errorCount) % PROGRESS_EVERY === 0) {
        await ctx.progress(STORED_PROGRESS * opened.progress.fraction, `${imported} records imported`)
      }
      if (item.kind === 'error') {
        errorCount++
        if (errors.length < MAX_REPORTED_ERRORS) errors.push({ position: item.position, message: item.message })
        continue
      }
      const id = randomUUID()
      // An AnalyLit export's label block names the database each record came from.
      const block = item.record.screening ?? labelBlockFromNotes(item.record.notes)
      const { screening: _block, ...read } = item.record
      const record = { ...read, sourceDatabase: block?.sourceDatabase ? canonicalDatabase(block.sourceDatabase) : recordDatabase(read.sourceDatabase, payload.sourceDatabase) }
      const r = recordToRow(record)
      if (importLabels) {
        const carried = carriedDecisions(item.record).filter((d) => (STAGES as readonly string[]).includes(d.stage))
        for (const label of carried) labels.push({ articleId: id, label, fromFile: true })
        if (carried.length === 0 && record.label) labels.push({ articleId: id, label: { stage: 'title_abstract', decision: record.label }, fromFile: false })
      }
      await originals.add(r.original)
      // The original goes to the batch's chunks (OriginalsWriter), not to the article's column.
      yield [id, projectId, batchId, imported, r.title, r.abstract, r.authors, r.year, r.journal, r.volume, r.issue, r.pages,
        r.doi, r.pmid, r.pmcid, r.arxivId, r.type, r.sourceDatabase, r.data, null, r.completeness]
      imported++
    }
  }

  const client = await ctx.db.$client.connect()
  try {
    await client.query('BEGIN')
    await client.query(`INSERT INTO source_batches (id, project_id, task_id, kind, file_name, format, encoding, source_database, created_by)
      VALUES ($1, $2, $3, 'file', $4, $5, $6, $7, $8)`,
    [batchId, projectId, ctx.task.id, file.originalName, opened.format.id, opened.encoding, canonicalDatabase(payload.sourceDatabase) ?? null, ctx.task.createdBy])
    await copyInStatements(client, 'articles', ARTICLE_COPY_COLUMNS, rows(), ROWS_PER_COPY)
    await originals.store(client, batchId)
    if (imported === 0) {
      throw new TaskError(errorCount > 0
        ? `no record could be imported: ${errorCount} malformed record(s), first: ${errors[0]?.message}`
        : 'the file holds no records', { errors, errorCount })
    }
    if (labels.length > 0) {
      // Imported labels are not reviewers: the original reviewer, source and date stay in `origin`.
      await copyInto(client, 'decisions', ['project_id', 'article_id', 'stage', 'decision', 'source', 'reason', 'note', 'tags', 'origin'],
        labels.map(({ articleId, label: l, fromFile }) => [projectId, articleId, l.stage, l.decision, 'import', l.reason ?? null,
          fromFile ? l.note ?? null : `label imported from ${file.originalName}`, textArray(l.tags ?? []),
          { file: file.originalName, ...(l.source ? { source: l.source } : {}), ...(l.reviewer ? { reviewer: l.reviewer } : {}), ...(l.at ? { at: l.at } : {}) }]))
    }
    await client.query('UPDATE source_batches SET records_read = $2, records_imported = $3, record_errors = $4 WHERE id = $1',
      [batchId, imported + errorCount, imported, errorCount])
    // Checked inside the transaction: a cancellation that arrived meanwhile rolls the whole batch back.
    await ctx.ensureNotCancelled()
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  } finally {
    client.release()
    await originals.dispose()
  }

  await ctx.emit('articles.imported', { batchId, count: imported })
  // Deduplication runs after every import, outside the import's transaction: the batch is safe even if it fails.
  const deduplication = await deduplicateAfterImport(ctx, projectId)
  return {
    deduplication, batchId, format: opened.format.id, encoding: opened.encoding, recordsRead: imported + errorCount,
    imported, errorCount, errors, labelsImported: labels.length
  }
}
