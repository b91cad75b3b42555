import type { Queue } from 'bullmq'
import type { Database } from '../db/index.ts'
import type { EventHub } from '../events/hub.ts'
import { Unavailable } from '../errors.ts'
import type { TaskJobData } from './bullmq.ts'
import { publishTask } from './execute.ts'
import type { InProcessRunner } from './in-process.ts'
import type { TaskType } from './registry.ts'
import { TaskStore, type NewTask, type TaskRow } from './store.ts'

export type TaskEngine =
  | { mode: 'in-process'; runner: InProcessRunner }
  | {
    mode: 'bullmq'
    queue: Queue<TaskJobData>
    /** True while the queue's Redis connection is up. */
    connected: () => boolean
    /** How long an enqueue may take before the queue counts as unavailable. */
    enqueueTimeoutMs: number
  }

/** Seconds a client is told to wait (Retry-After) when the task queue is down. */
const RETRY_AFTER_SECONDS = 5

/** The task queue (Redis) cannot take a task now: 503 with Retry-After. */
export class QueueUnavailableError extends Unavailable {
  constructor(reason: string) {
    super(`the task queue is unavailable (${reason}); nothing was created, try again later`, RETRY_AFTER_SECONDS)
  }
}

/** Creates tasks (row first, then delivery) and cancels them, in either engine. */
export class TaskService {
  readonly store: TaskStore
  /**
   * In-process mode: the latest task created by submitUnlessQueued per kind (type, project,
   * sameAs), and whether another was asked for while it ran.
   */
  private readonly here = new Map<string, { task: TaskRow; followUp: boolean }>()
  /** Work handed to inBackground() and not ended yet. */
  private readonly background = new Set<Promise<void>>()

  constructor(db: Database, private readonly events: EventHub, private readonly engine: TaskEngine) {
    this.store = new TaskStore(db)
  }

  get mode(): TaskEngine['mode'] { return this.engine.mode }

  /**
   * Runs `work` after the caller's turn of the event loop: a request that asks for a task it does
   * not wait for (a decision's retraining) answers first. `work` handles its own errors; one that
   * escapes it becomes a process warning (on stderr), never an unhandled rejection that would end the
   * process. backgroundSettled() waits for it (the app does before it closes the database).
   */
  inBackground(work: () => Promise<void>): void {
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve)).then(work)
      .catch((err: unknown) => process.emitWarning(err instanceof Error ? err : new Error(String(err))))
      .finally(() => this.background.delete(done))
    this.background.add(done)
  }

  /** Resolves once the work handed to inBackground() has ended, including work added meanwhile. */
  async backgroundSettled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background])
  }

  /** Throws QueueUnavailableError when a task could not be delivered now (Redis down). */
  ensureAvailable(): void {
    if (this.engine.mode === 'bullmq' && !this.engine.connected()) throw new QueueUnavailableError('Redis is not connected')
  }

  /**
   * Creates the task and delivers it, or creates nothing: when the queue is
   * down or does not take the job in time, the row is deleted again and
   * QueueUnavailableError is thrown. (A job added after all finds no row and
   * ends at once.)
   */
  async submit<T extends TaskType>(input: NewTask<T>): Promise<TaskRow> {
    this.ensureAvailable()
    const row = await this.store.create(input)
    try {
      await this.deliver(row)
    } catch (err) {
      // Should the delete fail too, the row stays queued and the reconciler delivers it.
      await this.store.remove(row.id).catch(() => {})
      throw err
    }
    // The task exists and is queued: a lost notification must not turn that into an error.
    await publishTask(this.events, 'task.queued', row).catch(() => {})
    return row
  }

  /**
   * Creates the task unless one like it is still queued (TaskStore.createUnlessQueued),
   * for tasks worth running once however often they are asked for. Unlike submit, a
   * task the queue cannot take now stays queued: the reconciler delivers it later.
   */
  async submitUnlessQueued<T extends TaskType>(
    input: NewTask<T>, options: Parameters<TaskStore['createUnlessQueued']>[1], { afterRunning = false }: { afterRunning?: boolean } = {}
  ): Promise<{ task: TaskRow; created: boolean }> {
    const key = `${input.type}:${input.projectId ?? ''}:${JSON.stringify(options.sameAs)}`
    const local = this.here.get(key)
    if (local && this.engine.mode === 'in-process') {
      const { runner } = this.engine
      // A task like it that this process created and has not started yet is certainly still
      // queued (it starts here or nowhere): the database need not be asked.
      if (runner.isWaiting(local.task.id)) return { task: local.task, created: false }
      // `afterRunning`: while one runs here, the next is asked for when it ends, off the caller's path.
      const settled = afterRunning ? runner.settled(local.task.id) : undefined
      if (settled) {
        if (!local.followUp) {
          local.followUp = true
          this.inBackground(async () => {
            await settled
            if (this.here.get(key) === local) this.here.delete(key)
            await this.submitUnlessQueued(input, options).catch(() => {
              // The database refused: the next request for it queues it again.
            })
          })
        }
        return { task: local.task, created: false }
      }
    }
    this.here.delete(key)
    const outcome = await this.store.createUnlessQueued(input, options)
    if (outcome.created) {
      if (this.engine.mode === 'in-process') {
        const { runner } = this.engine
        this.here.set(key, { task: outcome.task, followUp: false })
        // Forget tasks that ended since, so that the map stays as small as what waits or runs.
        if (this.here.size > 256) for (const [k, { task }] of this.here) if (!runner.isWaiting(task.id) && !runner.settled(task.id)) this.here.delete(k)
      }
      await this.deliver(outcome.task).catch(() => {})
      await publishTask(this.events, 'task.queued', outcome.task).catch(() => {})
    }
    return outcome
  }

  /** Hands an existing row to the engine; in BullMQ mode throws QueueUnavailableError if Redis does not take it in time. */
  async deliver(row: TaskRow): Promise<void> {
    if (this.engine.mode === 'in-process') return this.engine.runner.enqueue(row.id)
    this.ensureAvailable()
    const { queue, enqueueTimeoutMs } = this.engine
    // BullMQ is loaded only in queue mode (already loaded by then: the queue was made with it).
    const { enqueueTask } = await import('./bullmq.ts')
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        enqueueTask(queue, row.id, row.type),
        new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new QueueUnavailableError(`Redis did not answer within ${enqueueTimeoutMs} ms`)), enqueueTimeoutMs) })
      ])
    } catch (err) {
      throw err instanceof QueueUnavailableError ? err : new QueueUnavailableError((err as Error)?.message || 'Redis error')
    } finally {
      clearTimeout(timer)
    }
  }

  async cancel(id: string): Promise<TaskRow | undefined> {
    const row = await this.store.cancel(id)
    if (!row) return undefined
    if (this.engine.mode === 'in-process') this.engine.runner.cancel(id)
    // With Redis down the job stays, and ends at once when it runs: its row is cancelled.
    else await (await import('./bullmq.ts')).removeQueuedTask(this.engine.queue, id).catch(() => {})
    await publishTask(this.events, 'task.cancelled', row).catch(() => {})
    return row
  }
}
