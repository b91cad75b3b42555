/**
 * Guaranteed delivery in BullMQ mode. A task row is written before its job is
 * added, and Redis may lose jobs (restarted without persistence, flushed), so
 * a row can be `queued` with no job to run it, or `running` with its job gone
 * and no runner alive. The reconciler adds the jobs of such tasks again, with
 * job id = task id, so a task never has two jobs. Every process runs it (at
 * start, every RECONCILE_INTERVAL_MS and when Redis reconnects); a PostgreSQL
 * advisory lock lets one process at a time do the work.
 */
import { sql } from 'drizzle-orm'
import type { Queue } from 'bullmq'
import type { Redis } from 'ioredis'
import type { Database } from '../db/index.ts'
import { enqueueTasks, type TaskJobData } from './bullmq.ts'
import type { Logger } from './execute.ts'
import { TaskStore } from './store.ts'

/** The advisory lock (two-key form) held by the process that reconciles. */
export const RECONCILE_LOCK = [724_640, 1] as const
const BATCH = 500

export interface ReconcileDeps {
  db: Database
  queue: Queue<TaskJobData>
  /** A command connection to the queue's Redis. */
  connection: Redis
  /** A running task untouched this long has lost its runner (runners touch their tasks every half of it). */
  staleRunningMs: number
  /** A queued task younger than this may still be being enqueued by the request that created it. */
  queuedGraceMs: number
}

export interface ReconcileResult {
  /** Another process held the lock, or Redis was not connected. */
  skipped: boolean
  checked: number
  requeued: string[]
}

export async function reconcileTasks(deps: ReconcileDeps): Promise<ReconcileResult> {
  if (deps.connection.status !== 'ready') return { skipped: true, checked: 0, requeued: [] }
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.execute<{ locked: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${RECONCILE_LOCK[0]}, ${RECONCILE_LOCK[1]}) AS locked`)
    if (!rows[0]?.locked) return { skipped: true, checked: 0, requeued: [] }
    const store = new TaskStore(deps.db)
    const result: ReconcileResult = { skipped: false, checked: 0, requeued: [] }
    let afterId: string | undefined
    for (;;) {
      const batch = await store.undelivered({ graceMs: deps.queuedGraceMs, staleMs: deps.staleRunningMs, limit: BATCH, afterId })
      if (batch.length === 0) return result
      afterId = batch[batch.length - 1].id
      const pipeline = deps.connection.pipeline()
      for (const task of batch) pipeline.exists(deps.queue.toKey(task.id))
      const exists = (await pipeline.exec()) ?? []
      const missing = batch.filter((_, i) => {
        const [err, count] = exists[i] ?? [new Error('no reply')]
        if (err) throw err
        return count === 0
      })
      await enqueueTasks(deps.queue, missing)
      result.checked += batch.length
      result.requeued.push(...missing.map((t) => t.id))
    }
  })
}

export interface ReconcilerStatus {
  lastRunAt: string | null
  lastError: string | null
  /** Tasks enqueued again since the process started. */
  requeued: number
}

export interface Reconciler {
  status: ReconcilerStatus
  /** Runs now unless a run is under way (then waits for that one). */
  run(): Promise<void>
  stop(): Promise<void>
}

/** Runs the reconciliation every `intervalMs` and whenever the connection becomes ready again; call run() at start. */
export function startReconciler(deps: ReconcileDeps & { intervalMs: number; log: Logger }): Reconciler {
  const status: ReconcilerStatus = { lastRunAt: null, lastError: null, requeued: 0 }
  let current: Promise<void> | undefined
  let stopped = false
  const run = (): Promise<void> => {
    if (stopped) return Promise.resolve()
    current ??= reconcileTasks(deps).then((result) => {
      if (result.skipped) return
      status.lastRunAt = new Date().toISOString()
      status.lastError = null
      status.requeued += result.requeued.length
      if (result.requeued.length > 0) deps.log.warn({ tasks: result.requeued }, 'tasks missing from the queue were enqueued again')
    }, (err: Error) => {
      status.lastError = err.message || String(err)
      deps.log.warn({ err }, 'could not reconcile the task queue')
    }).finally(() => { current = undefined })
    return current
  }
  const timer = setInterval(() => { void run() }, deps.intervalMs)
  timer.unref()
  const onReady = () => { void run() }
  deps.connection.on('ready', onReady)
  return {
    status,
    run,
    async stop() {
      stopped = true
      clearInterval(timer)
      deps.connection.off('ready', onReady)
      await current
    }
  }
}
