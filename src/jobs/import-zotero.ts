/**
 * Import of a Zotero export with files (a ZIP of the `.rdf` and its
 * `files/` folder) as a background task: the records are imported as any
 * Zotero RDF file is (one atomic batch, then deduplication), then each
 * record's PDF attachment is stored (content-addressed) and attached to the
 * record, or, when the record is a duplicate, to the article it duplicates;
 * the attached PDFs' text is extracted last. The archive is removed once read.
 */
import { createWriteStream } from 'node:fs'
import fs from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, isNull, or, sql } from 'drizzle-orm'
import { articles, files } from '../db/schema.ts'
import { attachmentResolver, zoteroRdfEntry } from '../fulltext/zotero.ts'
import { entryBaseName, openZip, zipLimitsFromConfig, ZipRefusedError, type OpenedZip } from '../fulltext/zip.ts'
import { insideStorage, removeArchive, storePdfStream } from '../services/fulltext.ts'
import { extractionTargets } from '../services/fulltext-text.ts'
import { newUploadPath } from '../services/imports.ts'
import { TaskError, type JobContext } from '../tasks/execute.ts'
import { extractFiles, scaledProgress, summarise, type FullTextExtractResult } from './fulltext-extract.ts'
import { importReferences, type ImportResult } from './import-references.ts'

export const ZoteroImportPayload = Type.Object({
  /** The stored ZIP archive. */
  fileId: Type.String(),
  sourceDatabase: Type.Optional(Type.String()),
  importLabels: Type.Optional(Type.Boolean())
})
export type ZoteroImportPayload = Static<typeof ZoteroImportPayload>

export type AttachmentStatus = 'attached' | 'already-attached' | 'article-has-another-full-text' | 'missing' | 'not-stored'

export interface ZoteroImportResult extends ImportResult {
  attachments: {
    /** PDF attachments named by the imported records. */
    requested: number
    attached: number
    /** Attachments the RDF names but the archive does not hold (exported without files, or removed). */
    missing: number
    files: Array<{ path: string; articleId: string; attachedTo?: string; fileId?: string; status: AttachmentStatus; reason?: string }>
  }
  extraction: FullTextExtractResult
}

/** Shares of the task's progress: import (with deduplication), attachments, text extraction. */
const IMPORT_SHARE = 0.5
const ATTACH_SHARE = 0.2

export async function importZotero(ctx: JobContext, payload: ZoteroImportPayload): Promise<ZoteroImportResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('Zotero import task has no project')
  const [file] = await ctx.db.select().from(files).where(and(eq(files.id, payload.fileId), eq(files.projectId, projectId)))
  const absolute = file && insideStorage(ctx.storageDir, file.storagePath)
  if (!absolute) throw new TaskError('the uploaded archive no longer exists')
  let zip: OpenedZip
  try {
    zip = await openZip(absolute, zipLimitsFromConfig(ctx.config))
  } catch (error) {
    if (error instanceof ZipRefusedError) throw new TaskError(error.message)
    throw error
  }
  try {
    const rdf = zoteroRdfEntry(zip.entries)
    if (!rdf) throw new TaskError('the archive holds no Zotero RDF file (.rdf)')
    const rdfPath = await newUploadPath(ctx.storageDir, projectId, 'export.rdf')
    let imported: ImportResult
    try {
      await pipeline(await zip.open(rdf), createWriteStream(rdfPath))
      imported = await importReferences(scaledProgress(ctx, 0, IMPORT_SHARE), { fileId: payload.fileId, format: 'zotero-rdf', sourceDatabase: payload.sourceDatabase, importLabels: payload.importLabels }, rdfPath)
    } finally {
      await fs.rm(rdfPath, { force: true })
    }

    const attachments = await attachPdfs(scaledProgress(ctx, IMPORT_SHARE, IMPORT_SHARE + ATTACH_SHARE), projectId, zip, rdf, imported.batchId)
    const fileIds = [...new Set(attachments.files.flatMap((f) => f.fileId ?? []))]
    const extraction = summarise(fileIds.length ? await extractFiles(scaledProgress(ctx, IMPORT_SHARE + ATTACH_SHARE, 1), await extractionTargets(ctx.db, projectId, { fileIds })) : [])
    zip.close()
    await removeArchive(ctx.db, ctx.storageDir, projectId, payload.fileId)
    return { ...imported, attachments, extraction }
  } finally {
    zip.close()
  }
}

/**
 * Stores the PDF attachments of the batch's records and attaches each to its
 * record, or to the article the record duplicates (the cluster's primary):
 * an article that already has another full text keeps it, and the PDF stays
 * stored, unmatched, for a human to decide. A record's second PDF is stored
 * unmatched too.
 */
async function attachPdfs(ctx: JobContext, projectId: string, zip: OpenedZip, rdf: OpenedZip['entries'][number], batchId: string): Promise<ZoteroImportResult['attachments']> {
  const rows = await ctx.db.select({ id: articles.id, duplicateOf: articles.duplicateOf, attachments: sql<string[] | null>`${articles.data}->'attachments'` })
    .from(articles).where(and(eq(articles.projectId, projectId), eq(articles.batchId, batchId), sql`jsonb_array_length(coalesce(${articles.data}->'attachments', '[]'::jsonb)) > 0`))
    .orderBy(articles.sourceIndex)
  const resolve = attachmentResolver(zip.entries, rdf)
  const wanted = rows.flatMap((row) => (row.attachments ?? []).filter((p) => /\.pdf$/i.test(p)).map((p) => ({ row, path: p })))
  const result: ZoteroImportResult['attachments'] = { requested: wanted.length, attached: 0, missing: 0, files: [] }
  for (const [i, { row, path }] of wanted.entries()) {
    await ctx.ensureNotCancelled()
    const entry = resolve(path)
    const target = row.duplicateOf ?? row.id
    if (!entry) {
      result.missing++
      result.files.push({ path, articleId: row.id, status: 'missing', reason: 'not in the archive' })
    } else {
      const stored = await zip.open(entry).then(
        (stream) => storePdfStream(ctx.db, ctx.storageDir, projectId, stream, {
          name: entryBaseName(entry.name), origin: 'zotero', maxBytes: ctx.config.FULLTEXT_MAX_BYTES, createdBy: ctx.task.createdBy, taskId: ctx.task.id
        }),
        (error: Error) => ({ refusal: `unreadable: ${error.message}` }))
      if ('refusal' in stored) {
        result.files.push({ path, articleId: row.id, status: 'not-stored', reason: stored.refusal })
      } else {
        const linked = await ctx.db.update(articles).set({ fullTextFileId: stored.fileId })
          .where(and(eq(articles.id, target), eq(articles.projectId, projectId), or(isNull(articles.fullTextFileId), eq(articles.fullTextFileId, stored.fileId))))
          .returning({ id: articles.id })
        const status: AttachmentStatus = linked.length === 0 ? 'article-has-another-full-text'
          : result.files.some((f) => f.fileId === stored.fileId && f.status === 'attached') ? 'already-attached' : 'attached'
        if (status === 'attached') {
          result.attached++
          await ctx.emit('fulltext.attached', { articleId: target, fileId: stored.fileId })
        }
        result.files.push({ path, articleId: row.id, ...(target !== row.id ? { attachedTo: target } : {}), fileId: stored.fileId, status })
      }
    }
    await ctx.progress((i + 1) / wanted.length, `${i + 1} of ${wanted.length} attachments read`)
  }
  return result
}
