/**
 * BullMQ transport for tasks: the web process only enqueues task ids; worker
 * processes (src/worker.ts, any number, any machine) execute them. A worker
 * that dies mid-job loses its lock and the job is picked up again by
 * BullMQ's stalled-job check.
 */
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { SHUTDOWN } from './execute.ts'

export const TASK_QUEUE = 'tasks'

export interface TaskJobData { taskId: string }

export function createTaskQueue(connection: Redis, prefix: string): Queue<TaskJobData> {
  // A shared connection: BullMQ does not close connections it was given, the owner does.
  return new Queue<TaskJobData>(TASK_QUEUE, { connection, prefix })
}

// Handlers record their own failures in the task row; only a run interrupted by a
// shutdown throws, and that run must be retried.
const JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'fixed', delay: 1000 },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000 }
} as const

/** Adds the task's job; the job id is the task id, so adding it twice leaves one job. */
export async function enqueueTask(queue: Queue<TaskJobData>, taskId: string, type: string): Promise<void> {
  await queue.add(type, { taskId }, { ...JOB_OPTIONS, jobId: taskId })
}

export async function enqueueTasks(queue: Queue<TaskJobData>, rows: Array<{ id: string; type: string }>): Promise<void> {
  if (rows.length > 0) await queue.addBulk(rows.map((r) => ({ name: r.type, data: { taskId: r.id }, opts: { ...JOB_OPTIONS, jobId: r.id } })))
}

/** Removes a job that has not started yet; a running job notices the cancellation in the database. */
export async function removeQueuedTask(queue: Queue<TaskJobData>, taskId: string): Promise<void> {
  const job = await queue.getJob(taskId)
  if (job && (await job.isWaiting() || await job.isDelayed())) await job.remove().catch(() => {})
}

export interface TaskWorkerOptions {
  redisUrl: string
  prefix: string
  concurrency: number
  lockDurationMs: number
  /** TASK_MAX_ATTEMPTS: a job whose worker died is delivered again this many times, the last to mark it failed. */
  maxAttempts: number
  stalledIntervalMs: number
  run: (taskId: string, signal: AbortSignal) => Promise<void>
}

export interface TaskWorker {
  worker: Worker<TaskJobData>
  /** Stops taking jobs, waits up to timeoutMs for running ones, then closes regardless. */
  close(timeoutMs: number): Promise<void>
}

export function startTaskWorker(options: TaskWorkerOptions): TaskWorker {
  // A Worker blocks on its connection, so it gets its own, with the retry setting BullMQ requires.
  const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null })
  const controllers = new Set<AbortController>()
  const worker = new Worker<TaskJobData>(TASK_QUEUE, async (job) => {
    const controller = new AbortController()
    controllers.add(controller)
    try {
      await options.run(job.data.taskId, controller.signal)
    } finally {
      controllers.delete(controller)
    }
  }, {
    connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: options.lockDurationMs,
    stalledInterval: options.stalledIntervalMs,
    maxStalledCount: options.maxAttempts
  })
  worker.on('error', () => { /* connection errors are retried by ioredis; surfaced through readiness */ })
  return {
    worker,
    async close(timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const graceful = worker.close()
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(true), timeoutMs) })
      ])
      clearTimeout(timer)
      if (timedOut) {
        for (const c of controllers) c.abort(SHUTDOWN)
        await worker.close(true)
      }
      await connection.quit().catch(() => connection.disconnect())
    }
  }
}
