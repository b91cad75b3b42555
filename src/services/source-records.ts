/**
 * Storing records that come from the bibliographic databases (search runs,
 * identifier lookups, citation chasing) the way imports store theirs: one
 * `source_batches` row per source, articles built with recordToRow, then
 * deduplication.
 *
 * The "new records" rule: a record is added only when the project does not
 * already hold a record with the same normalised DOI, PMID, PMCID or arXiv
 * id (duplicates included). The project's identifiers are read once when a
 * task starts, so records that two databases of the same search run both
 * return are stored once per database (each database's count stays what it
 * returned, as PRISMA wants) and deduplication links them; a later run adds
 * only what none of the earlier ones brought. Records without any of these
 * identifiers are always added and left to deduplication.
 */
import { randomUUID } from 'node:crypto'
import { eq, inArray, sql } from 'drizzle-orm'
import { withoutNul } from '../db/copy.ts'
import type { Database } from '../db/index.ts'
import { articles, searchRuns, sourceBatches } from '../db/schema.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid } from '../references/identifiers.ts'
import type { ReferenceRecord } from '../references/model.ts'
import { recordToRow } from './articles.ts'
import { deduplicateProject, type DedupSummary } from './dedup.ts'
import type { JobContext } from '../tasks/execute.ts'

/** A drizzle handle or a transaction of one. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export type SourceKind = 'search' | 'identifiers' | 'citations'

interface IdentifierFields {
  doi?: string | null
  pmid?: string | null
  pmcid?: string | null
  arxivId?: string | null
}

/** Sets of normalised identifiers, to tell whether a record is already known. */
export class IdentifierIndex {
  private readonly dois = new Set<string>()
  private readonly pmids = new Set<string>()
  private readonly pmcids = new Set<string>()
  private readonly arxivIds = new Set<string>()

  private static keys(record: IdentifierFields): Array<['dois' | 'pmids' | 'pmcids' | 'arxivIds', string | undefined]> {
    return [
      ['dois', normalizeDoi(record.doi)],
      ['pmids', normalizePmid(record.pmid)],
      ['pmcids', normalizePmcid(record.pmcid)],
      ['arxivIds', normalizeArxivId(record.arxivId)]
    ]
  }

  /** True when any identifier of the record is in the index. */
  has(record: IdentifierFields): boolean {
    return IdentifierIndex.keys(record).some(([set, value]) => value !== undefined && this[set].has(value))
  }

  add(record: IdentifierFields): void {
    for (const [set, value] of IdentifierIndex.keys(record)) if (value !== undefined) this[set].add(value)
  }

  get size(): number {
    return this.dois.size + this.pmids.size + this.pmcids.size + this.arxivIds.size
  }
}

/** Every identifier the project's articles carry (duplicates included). */
export async function projectIdentifiers(db: Executor, projectId: string): Promise<IdentifierIndex> {
  const index = new IdentifierIndex()
  const rows = await db.select({ doi: articles.doi, pmid: articles.pmid, pmcid: articles.pmcid, arxivId: articles.arxivId })
    .from(articles)
    .where(sql`${articles.projectId} = ${projectId} AND (${articles.doi} IS NOT NULL OR ${articles.pmid} IS NOT NULL OR ${articles.pmcid} IS NOT NULL OR ${articles.arxivId} IS NOT NULL)`)
  for (const row of rows) index.add(row)
  return index
}

/**
 * Keeps the records that are neither in `known` nor repeated within `records`
 * (nor within earlier calls sharing `seen`), and adds the kept ones to `seen`.
 */
export function newRecordsOnly(records: ReferenceRecord[], known: IdentifierIndex, seen: IdentifierIndex): { fresh: ReferenceRecord[]; skipped: ReferenceRecord[] } {
  const fresh: ReferenceRecord[] = []
  const skipped: ReferenceRecord[] = []
  for (const record of records) {
    if (known.has(record) || seen.has(record)) {
      skipped.push(record)
      continue
    }
    seen.add(record)
    fresh.push(record)
  }
  return { fresh, skipped }
}

export interface NewBatch {
  projectId: string
  taskId: string
  kind: SourceKind
  sourceDatabase: string | null
  createdBy: string | null
}

export async function createSourceBatch(db: Executor, batch: NewBatch): Promise<string> {
  const id = randomUUID()
  await db.insert(sourceBatches).values({
    id, projectId: batch.projectId, taskId: batch.taskId, kind: batch.kind, sourceDatabase: batch.sourceDatabase, createdBy: batch.createdBy
  })
  return id
}

export async function setBatchCounts(db: Executor, batchId: string, counts: { recordsRead: number; recordsImported: number }): Promise<void> {
  await db.update(sourceBatches).set({ ...counts, recordErrors: 0 }).where(eq(sourceBatches.id, batchId))
}

/** Rows per INSERT: 20 columns each, far under PostgreSQL's 65,535 parameters. */
const INSERT_CHUNK = 500

/** Inserts records as articles of a batch, numbered from `firstIndex`; returns their ids in order. */
export async function insertRecords(db: Executor, projectId: string, batchId: string, records: ReferenceRecord[], firstIndex: number): Promise<string[]> {
  const ids: string[] = []
  for (let start = 0; start < records.length; start += INSERT_CHUNK) {
    const rows = records.slice(start, start + INSERT_CHUNK).map((record, i) => {
      const id = randomUUID()
      ids.push(id)
      // Records from an API can carry NUL characters, which PostgreSQL refuses in text and jsonb.
      return { id, projectId, batchId, sourceIndex: firstIndex + start + i, ...withoutNul(recordToRow(record)) }
    })
    await db.insert(articles).values(rows)
  }
  return ids
}

/**
 * Removes what an earlier attempt of the same task stored (a worker killed
 * mid-run, a resumed task): its batches with their articles, and its search
 * runs, so that the new attempt starts clean.
 */
export async function removeTaskSources(db: Database, taskId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(searchRuns).where(eq(searchRuns.taskId, taskId))
    await tx.delete(sourceBatches).where(eq(sourceBatches.taskId, taskId))
  })
}

/** Deletes the batches a task created, with their articles (a cancelled task leaves nothing behind). */
export async function removeTaskBatches(db: Executor, taskId: string): Promise<void> {
  await db.delete(sourceBatches).where(eq(sourceBatches.taskId, taskId))
}

/** Deletes batches (their articles go with them by cascade). */
export async function removeBatches(db: Executor, batchIds: string[]): Promise<void> {
  if (batchIds.length > 0) await db.delete(sourceBatches).where(inArray(sourceBatches.id, batchIds))
}

/** Runs deduplication after records were added; a failure is reported, not thrown (the records are safe). */
export async function deduplicateAfterAdding(
  db: Database, projectId: string, log: { error(obj: object, msg?: string): void }
): Promise<DedupSummary | { error: string }> {
  try {
    return await deduplicateProject(db, projectId)
  } catch (err) {
    log.error({ err, projectId }, 'deduplication after adding records failed')
    return { error: 'deduplication failed; run it again from the duplicates endpoint' }
  }
}

/**
 * Stores the new records a task found as one source batch (atomically, so a
 * failure leaves nothing), announces them, then deduplicates the project.
 */
export async function storeFoundRecords(
  ctx: JobContext, found: { kind: SourceKind; sourceDatabase: string; records: ReferenceRecord[]; recordsRead: number }
): Promise<{ batchId: string; deduplication: DedupSummary | { error: string } }> {
  const projectId = ctx.task.projectId!
  await ctx.ensureNotCancelled()
  const batchId = await ctx.db.transaction(async (tx) => {
    const id = await createSourceBatch(tx, { projectId, taskId: ctx.task.id, kind: found.kind, sourceDatabase: found.sourceDatabase, createdBy: ctx.task.createdBy })
    await insertRecords(tx, projectId, id, found.records, 0)
    await setBatchCounts(tx, id, { recordsRead: found.recordsRead, recordsImported: found.records.length })
    return id
  })
  await ctx.emit('articles.imported', { batchId, count: found.records.length })
  await ctx.progress(0.9, 'finding duplicates')
  return { batchId, deduplication: await deduplicateAfterAdding(ctx.db, projectId, ctx.log) }
}
