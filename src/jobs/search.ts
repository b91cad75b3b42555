/**
 * A search run as a background task: the same question (or one query per
 * database) sent to several databases at once, each database paced by its
 * own process-wide rate limiter. Records are stored page by page as they
 * arrive, each database in its own source batch, then the project is
 * deduplicated. A database that fails (after the connector's retries) is
 * reported as failed and its partial records removed; the others complete.
 * Each database gets a `search_runs` row: the PRISMA-S log of database,
 * query as sent, date, hits, records retrieved and records new to the project.
 */
import { and, eq, inArray } from 'drizzle-orm'
import type { SearchBatch, SearchSummary } from '../connectors/types.ts'
import { searchRuns } from '../db/schema.ts'
import { databaseLabel, type PlannedSearch, type SearchDatabaseId, type SearchPayload } from '../services/search.ts'
import {
  createSourceBatch, deduplicateAfterAdding, IdentifierIndex, insertRecords, newRecordsOnly, projectIdentifiers, removeBatches, removeTaskBatches,
  removeTaskSources, setBatchCounts, withNewRecordsLock, type ProjectIdentifiers
} from '../services/source-records.ts'
import type { DedupSummary } from '../services/dedup.ts'
import { SHUTDOWN, TaskError, type JobContext } from '../tasks/execute.ts'

export interface DatabaseOutcome {
  database: SearchDatabaseId
  label: string
  status: 'succeeded' | 'failed'
  query: string
  queryAsSent: string | null
  totalHits: number | null
  retrieved: number
  newRecords: number
  batchId: string | null
  /** What the database said about the query (PubMed's translation, records it would not page to…). */
  notes: string[]
  error?: string
}

export interface SearchResult {
  /** Databases that completed, and those that failed. */
  succeeded: SearchDatabaseId[]
  failed: SearchDatabaseId[]
  databases: DatabaseOutcome[]
  retrieved: number
  newRecords: number
  deduplication: DedupSummary | { error: string } | null
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

export async function runSearch(ctx: JobContext, payload: SearchPayload): Promise<SearchResult> {
  const projectId = ctx.task.projectId
  if (!projectId) throw new TaskError('search task has no project')

  await removeTaskSources(ctx.db, ctx.task.id)
  const runs = await ctx.db.insert(searchRuns).values(payload.searches.map((s) => ({
    projectId, taskId: ctx.task.id, database: s.database, query: s.query, maxRecords: payload.maxRecordsPerDatabase,
    status: 'queued', createdBy: ctx.task.createdBy
  }))).returning({ id: searchRuns.id, database: searchRuns.database })
  const runIdOf = new Map(runs.map((r) => [r.database, r.id]))
  const known = await projectIdentifiers(ctx.db, projectId, ctx.task.id)

  // Progress over all databases: records retrieved / records expected.
  const progress = new Map<string, { retrieved: number; total: number }>(payload.searches.map((s) => [s.database, { retrieved: 0, total: 0 }]))
  const report = async (database: string) => {
    let retrieved = 0
    let total = 0
    for (const p of progress.values()) {
      retrieved += p.retrieved
      total += p.total
    }
    const fraction = total > 0 ? Math.min(0.9, 0.9 * retrieved / total) : 0
    await ctx.progress(fraction, `${retrieved} of ${total} records retrieved`)
    await ctx.emit('search.progress', { database, ...progress.get(database)! })
  }

  // Every database runs to its end before the outcome is judged, so that no insert is still under way during a clean-up.
  const settled = await Promise.allSettled(payload.searches.map((search) =>
    searchOneDatabase(ctx, { projectId, runId: runIdOf.get(search.database)!, search, maxRecords: payload.maxRecordsPerDatabase, known, progress, report })))
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (rejected) {
    // Cancelled: nothing of this task stays. Interrupted by a shutdown: the resumed task cleans up first.
    if (ctx.signal.reason !== SHUTDOWN) {
      // Records first, then the log: a run reads "cancelled" only once nothing of it is left.
      await removeTaskBatches(ctx.db, ctx.task.id).catch(() => undefined)
      await ctx.db.update(searchRuns).set({ status: 'cancelled', finishedAt: new Date(), batchId: null })
        .where(and(eq(searchRuns.taskId, ctx.task.id), inArray(searchRuns.status, ['queued', 'running', 'succeeded'])))
        .catch(() => undefined)
    }
    throw rejected.reason
  }
  const outcomes = settled.map((s) => (s as PromiseFulfilledResult<DatabaseOutcome>).value)

  const succeeded = outcomes.filter((o) => o.status === 'succeeded')
  const failed = outcomes.filter((o) => o.status === 'failed')
  const newRecords = succeeded.reduce((n, o) => n + o.newRecords, 0)
  const result: SearchResult = {
    succeeded: succeeded.map((o) => o.database), failed: failed.map((o) => o.database), databases: outcomes,
    retrieved: succeeded.reduce((n, o) => n + o.retrieved, 0), newRecords, deduplication: null
  }
  if (succeeded.length === 0) {
    throw new TaskError(`every database failed: ${failed.map((o) => `${o.label}: ${o.error}`).join('; ')}`, result)
  }
  if (newRecords > 0) {
    await ctx.progress(0.9, 'finding duplicates')
    result.deduplication = await deduplicateAfterAdding(ctx.db, projectId, ctx.log)
    if (!('error' in result.deduplication)) await ctx.emit('duplicates.updated', { ...result.deduplication })
  }
  return result
}

interface DatabaseJob {
  projectId: string
  runId: string
  search: PlannedSearch
  maxRecords: number
  known: ProjectIdentifiers
  progress: Map<string, { retrieved: number; total: number }>
  report: (database: string) => Promise<void>
}

async function searchOneDatabase(ctx: JobContext, job: DatabaseJob): Promise<DatabaseOutcome> {
  const { database, query } = job.search
  const label = databaseLabel(database)
  const outcome: DatabaseOutcome = {
    database, label, status: 'succeeded', query, queryAsSent: null, totalHits: null, retrieved: 0, newRecords: 0, batchId: null, notes: []
  }
  const batchId = await createSourceBatch(ctx.db, { projectId: job.projectId, taskId: ctx.task.id, kind: 'search', sourceDatabase: label, createdBy: ctx.task.createdBy })
  await ctx.db.update(searchRuns).set({ status: 'running', startedAt: new Date(), batchId }).where(eq(searchRuns.id, job.runId))
  const seen = new IdentifierIndex()
  try {
    const connector = ctx.connectors.get(database)
    const pages = connector.searchBatches(query, {
      maxRecords: job.maxRecords,
      signal: ctx.signal,
      onProgress: (p) => job.progress.set(database, { retrieved: p.retrieved, total: p.total })
    })
    let summary: SearchSummary
    for (;;) {
      const next: IteratorResult<SearchBatch, SearchSummary> = await pages.next()
      if (next.done) {
        summary = next.value
        break
      }
      const page = next.value
      outcome.queryAsSent = page.queryAsSent
      outcome.totalHits = page.total
      // Which records are new and their insert: atomic per project, so that two searches at once add a record once.
      const fresh = await withNewRecordsLock(ctx.db, job.known, async (tx) => {
        const { fresh } = newRecordsOnly(page.records, job.known, seen)
        await insertRecords(tx, job.projectId, batchId, fresh, outcome.newRecords)
        return fresh
      })
      outcome.retrieved += page.records.length
      outcome.newRecords += fresh.length
      await ctx.db.update(searchRuns).set({ totalHits: page.total, queryAsSent: page.queryAsSent, retrieved: outcome.retrieved, newRecords: outcome.newRecords })
        .where(eq(searchRuns.id, job.runId))
      await job.report(database)
    }
    outcome.queryAsSent = summary.queryAsSent
    outcome.totalHits = summary.total
    outcome.notes = summary.notes
    outcome.batchId = batchId
    await setBatchCounts(ctx.db, batchId, { recordsRead: outcome.retrieved, recordsImported: outcome.newRecords })
    await ctx.db.update(searchRuns).set({
      status: 'succeeded', totalHits: summary.total, queryAsSent: summary.queryAsSent, retrieved: outcome.retrieved, newRecords: outcome.newRecords,
      finishedAt: new Date()
    }).where(eq(searchRuns.id, job.runId))
    if (outcome.newRecords > 0) await ctx.emit('articles.imported', { batchId, count: outcome.newRecords, database })
    return outcome
  } catch (error) {
    // Cancellation and shutdown end the whole task; anything else is this database's failure.
    if (ctx.signal.aborted) throw error
    ctx.log.warn({ err: error, database, taskId: ctx.task.id }, 'database search failed')
    // A failed run keeps no records: a partial result set is not a search anyone could report.
    await removeBatches(ctx.db, [batchId])
    outcome.status = 'failed'
    outcome.error = errorMessage(error)
    outcome.newRecords = 0
    await ctx.db.update(searchRuns).set({
      status: 'failed', error: outcome.error, retrieved: outcome.retrieved, newRecords: 0, batchId: null, finishedAt: new Date(),
      ...(outcome.totalHits !== null ? { totalHits: outcome.totalHits, queryAsSent: outcome.queryAsSent } : {})
    }).where(eq(searchRuns.id, job.runId))
    job.progress.set(database, { retrieved: 0, total: 0 })
    await ctx.emit('search.progress', { database, retrieved: outcome.retrieved, total: outcome.totalHits ?? 0, failed: true, error: outcome.error })
    return outcome
  }
}
