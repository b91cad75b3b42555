/**
 * Storing records that come from the bibliographic databases (search runs,
 * identifier lookups, citation chasing) the way imports store theirs: one
 * `source_batches` row per source, articles built with recordToRow, then
 * deduplication.
 *
 * The "new records" rule: a record is added only when the project does not
 * already hold a record with the same normalised DOI, PMID, PMCID or arXiv
 * id (duplicates included) stored by another task. Records that two
 * databases of the same search run both return are stored once per database
 * (each database's count stays what it returned, as PRISMA wants) and
 * deduplication links them; a later run, or another task running at the same
 * time, adds only what none of the others brought: the check and the insert
 * run under a per-project lock (`addNewRecords`). Records without any of
 * these identifiers are always added and left to deduplication.
 */
import { randomUUID } from 'node:crypto'
import { eq, inArray, sql } from 'drizzle-orm'
import { withoutNul } from '../db/copy.ts'
import type { Database } from '../db/index.ts'
import { articles, searchRuns, sourceBatches, tasks } from '../db/schema.ts'
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

const hasIdentifier = sql`(${articles.doi} IS NOT NULL OR ${articles.pmid} IS NOT NULL OR ${articles.pmcid} IS NOT NULL OR ${articles.arxivId} IS NOT NULL)`

/**
 * The identifiers of a project's articles (duplicates included) stored by
 * tasks other than `taskId`, kept up to date by `refresh`: the first call
 * reads them all, later ones only what other tasks stored since (batches of
 * tasks still running may grow; those of ended tasks cannot).
 */
export class ProjectIdentifiers extends IdentifierIndex {
  /** Batches read in full after their task had ended. */
  private readonly complete = new Set<string>()
  /** Highest source index read of each batch that may still grow. */
  private readonly readUpTo = new Map<string, number>()
  private first = true

  constructor(readonly projectId: string, private readonly taskId: string) {
    super()
  }

  async refresh(db: Executor): Promise<void> {
    const ids = { batchId: articles.batchId, sourceIndex: articles.sourceIndex, doi: articles.doi, pmid: articles.pmid, pmcid: articles.pmcid, arxivId: articles.arxivId }
    const others = sql`${articles.batchId} IS NULL OR ${articles.batchId} NOT IN (SELECT ${sourceBatches.id} FROM ${sourceBatches} WHERE ${sourceBatches.taskId} = ${this.taskId})`
    // Which batches are final is read before their articles: a task ends after its records were committed.
    const batches = await db.select({ id: sourceBatches.id, status: tasks.status }).from(sourceBatches).leftJoin(tasks, eq(tasks.id, sourceBatches.taskId))
      .where(sql`${sourceBatches.projectId} = ${this.projectId} AND ${sourceBatches.taskId} IS DISTINCT FROM ${this.taskId}`)
    let rows: Array<{ batchId: string | null; sourceIndex: number } & IdentifierFields>
    if (this.first) {
      rows = await db.select(ids).from(articles).where(sql`${articles.projectId} = ${this.projectId} AND ${hasIdentifier} AND (${others})`)
      this.first = false
    } else {
      const pending = batches.filter((b) => !this.complete.has(b.id))
      if (pending.length === 0) return
      const unread = pending.filter((b) => !this.readUpTo.has(b.id)).map((b) => b.id)
      const growing = pending.filter((b) => this.readUpTo.has(b.id))
      const parts = growing.map((b) => sql`(${articles.batchId} = ${b.id} AND ${articles.sourceIndex} > ${this.readUpTo.get(b.id)!})`)
      if (unread.length > 0) parts.push(sql`${articles.batchId} IN (${sql.join(unread.map((id) => sql`${id}`), sql`, `)})`)
      rows = await db.select(ids).from(articles).where(sql`${articles.projectId} = ${this.projectId} AND ${hasIdentifier} AND (${sql.join(parts, sql` OR `)})`)
    }
    for (const row of rows) {
      this.add(row)
      if (row.batchId) this.readUpTo.set(row.batchId, Math.max(this.readUpTo.get(row.batchId) ?? -1, row.sourceIndex))
    }
    for (const batch of batches) {
      if (batch.status === null || ['succeeded', 'failed', 'cancelled'].includes(batch.status)) this.complete.add(batch.id)
      else if (!this.readUpTo.has(batch.id)) this.readUpTo.set(batch.id, -1)
    }
  }
}

/**
 * The project's identifiers for a task adding records; read again under the
 * lock of `addNewRecords` before each insert.
 */
export async function projectIdentifiers(db: Executor, projectId: string, taskId: string): Promise<ProjectIdentifiers> {
  const index = new ProjectIdentifiers(projectId, taskId)
  await index.refresh(db)
  return index
}

/**
 * The atomic "which of these are new → insert" step: runs `step` in one
 * transaction, under a per-project lock, after bringing `known` up to date
 * with what other tasks stored. Two tasks adding the same record at once
 * therefore add it once.
 */
export async function withNewRecordsLock<T>(db: Database, known: ProjectIdentifiers, step: (tx: Executor) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('new-records:' || ${known.projectId}))`)
    await known.refresh(tx)
    return step(tx)
  })
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
 * Records that another task stored meanwhile are left out (`alreadyInProject`).
 */
export async function storeFoundRecords(
  ctx: JobContext, known: ProjectIdentifiers, found: { kind: SourceKind; sourceDatabase: string; records: ReferenceRecord[]; recordsRead: number }
): Promise<{ batchId: string | null; added: ReferenceRecord[]; alreadyInProject: ReferenceRecord[]; deduplication: DedupSummary | { error: string } | null }> {
  const projectId = ctx.task.projectId!
  await ctx.ensureNotCancelled()
  const stored = await withNewRecordsLock(ctx.db, known, async (tx) => {
    const added = found.records.filter((r) => !known.has(r))
    const alreadyInProject = found.records.filter((r) => known.has(r))
    if (added.length === 0) return { batchId: null, added, alreadyInProject }
    const id = await createSourceBatch(tx, { projectId, taskId: ctx.task.id, kind: found.kind, sourceDatabase: found.sourceDatabase, createdBy: ctx.task.createdBy })
    await insertRecords(tx, projectId, id, added, 0)
    await setBatchCounts(tx, id, { recordsRead: found.recordsRead, recordsImported: added.length })
    return { batchId: id, added, alreadyInProject }
  })
  if (!stored.batchId) return { ...stored, deduplication: null }
  await ctx.emit('articles.imported', { batchId: stored.batchId, count: stored.added.length })
  await ctx.progress(0.9, 'finding duplicates')
  return { ...stored, deduplication: await deduplicateAfterAdding(ctx.db, projectId, ctx.log) }
}
