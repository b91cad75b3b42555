/**
 * Runs one task by id, whichever engine delivered it: loads the row, marks it
 * running, calls the handler with a context for progress and cancellation,
 * and records the outcome. Both the in-process runner and BullMQ workers call
 * this, so task semantics cannot drift between the two modes.
 */
import { DrizzleQueryError } from 'drizzle-orm'
import pg from 'pg'
import { Value } from '@sinclair/typebox/value'
import type { Connectors } from '../connectors/registry.ts'
import type { Config } from '../config.ts'
import type { Database } from '../db/index.ts'
import type { EventHub } from '../events/hub.ts'
import type { TaskRegistry } from './registry.ts'
import { TaskStore, toTaskView, type TaskRow } from './store.ts'

export class TaskCancelledError extends Error {
  constructor() { super('task cancelled') }
}

/** Abort reason used by runners that shut down for good while tasks still run. */
export const SHUTDOWN = 'shutdown'

export class TaskInterruptedError extends Error {
  constructor() { super('task interrupted by shutdown') }
}

/** An error whose message is safe and useful to show the user as the task's error. */
export class TaskError extends Error {
  constructor(message: string, readonly partialResult?: unknown) { super(message) }
}

export interface Logger {
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

export interface JobContext {
  task: TaskRow
  db: Database
  /** The configuration of the process running the job (web process or worker). */
  config: Config
  storageDir: string
  /** Aborted when the task is cancelled or the runner is shutting down for good. */
  signal: AbortSignal
  /** Reports progress (0–1); throws TaskCancelledError if the task was cancelled meanwhile. */
  progress(fraction: number, message?: string): Promise<void>
  /** Throws TaskCancelledError if the task was cancelled (a database read, unthrottled). */
  ensureNotCancelled(): Promise<void>
  /** Publishes a domain event to the task's project (e.g. records imported). */
  emit(type: string, data: Record<string, unknown>): Promise<void>
  log: Logger
  /** The bibliographic databases' connectors, built once per process from its configuration. */
  connectors: Connectors
}

export interface ExecuteDeps {
  db: Database
  config: Config
  events: EventHub
  /** Task types and their handlers: TASKS (src/tasks/registry.ts). */
  tasks: TaskRegistry
  connectors: Connectors
  storageDir: string
  log: Logger
  /** Minimum interval between two progress writes. */
  progressIntervalMs?: number
  /** If set, the running task's row is touched this often (see TaskStore.undelivered). */
  heartbeatMs?: number
}

/** The payload of a stored task as its type's schema wants it, or a TaskError naming the first mismatch. */
function checkedPayload(type: string, schema: TaskRegistry[string]['payload'], payload: unknown): unknown {
  const first = Value.Errors(schema, payload).First()
  if (!first) return payload
  throw new TaskError(`task payload does not match the "${type}" task type: ${first.path || '/'}: ${first.message}`)
}

export async function publishTask(events: EventHub, type: string, row: TaskRow): Promise<void> {
  if (!row.projectId) return
  await events.publish({ type, projectId: row.projectId, task: toTaskView(row) })
}

export async function executeTask(taskId: string, deps: ExecuteDeps, signal: AbortSignal = new AbortController().signal): Promise<void> {
  const store = new TaskStore(deps.db)
  const exhausted = await store.failIfExhausted(taskId, deps.config.TASK_MAX_ATTEMPTS)
  if (exhausted) {
    deps.log.error({ taskId, type: exhausted.type, attempts: exhausted.attempts }, 'task failed: its process died on every attempt')
    await publishTask(deps.events, 'task.failed', exhausted)
    return
  }
  const row = await store.start(taskId)
  if (!row) return // cancelled before it started, finished already, or deleted with its project
  deps.log.info({ taskId, type: row.type, attempt: row.attempts }, 'task started')
  await publishTask(deps.events, 'task.started', row)

  const definition = Object.hasOwn(deps.tasks, row.type) ? deps.tasks[row.type] : undefined
  if (!definition) {
    const failed = await store.fail(taskId, `no handler for task type "${row.type}"`)
    if (failed) await publishTask(deps.events, 'task.failed', failed)
    return
  }

  const controller = new AbortController()
  const onOuterAbort = () => controller.abort(signal.reason)
  signal.addEventListener('abort', onOuterAbort, { once: true })
  const interval = deps.progressIntervalMs ?? 250
  let lastWrite = 0

  const ctx: JobContext = {
    task: row,
    db: deps.db,
    config: deps.config,
    storageDir: deps.storageDir,
    signal: controller.signal,
    log: deps.log,
    connectors: deps.connectors,
    async progress(fraction, message) {
      if (controller.signal.aborted) throw new TaskCancelledError()
      const now = Date.now()
      if (now - lastWrite < interval && fraction < 1) return
      lastWrite = now
      const current = await store.progress(taskId, fraction, message)
      if (!current || current.status === 'cancelled') {
        controller.abort(new TaskCancelledError())
        throw new TaskCancelledError()
      }
      await publishTask(deps.events, 'task.progress', current)
    },
    async ensureNotCancelled() {
      const current = await store.get(taskId)
      if (!current || current.status === 'cancelled') {
        controller.abort(new TaskCancelledError())
        throw new TaskCancelledError()
      }
    },
    async emit(type, data) {
      if (row.projectId) await deps.events.publish({ ...data, type, projectId: row.projectId, taskId })
    }
  }

  const heartbeat = deps.heartbeatMs ? setInterval(() => { store.touch(taskId).catch(() => {}) }, deps.heartbeatMs) : undefined
  heartbeat?.unref()
  try {
    const result = await definition.run(ctx, checkedPayload(row.type, definition.payload, row.payload) as never)
    const done = await store.succeed(taskId, result)
    if (done) await publishTask(deps.events, 'task.completed', done)
    else {
      const current = await store.get(taskId)
      if (current) await publishTask(deps.events, `task.${current.status}`, current)
    }
  } catch (err) {
    const current = await store.get(taskId)
    if (signal.aborted && signal.reason === SHUTDOWN && current?.status === 'running') {
      // Interrupted by a shutdown, not a failure: leave it running so that it is picked up again.
      deps.log.warn({ taskId }, 'task interrupted by shutdown; it will be resumed')
      await store.releaseAttempt(taskId)
      throw new TaskInterruptedError()
    }
    if (current?.status === 'cancelled' || err instanceof TaskCancelledError) {
      if (current) await publishTask(deps.events, 'task.cancelled', current)
      return
    }
    // PostgreSQL's own messages name tables, indexes and SQL: the log has them, the user a plain sentence.
    const message = err instanceof TaskError ? err.message
      : err instanceof pg.DatabaseError || err instanceof DrizzleQueryError ? 'task failed: the database refused the operation (the server log has the details)'
        : `task failed: ${(err as Error)?.message ?? String(err)}`
    deps.log.error({ err, taskId, type: row.type }, 'task failed')
    const failed = await store.fail(taskId, message, err instanceof TaskError ? err.partialResult : undefined)
    if (failed) await publishTask(deps.events, 'task.failed', failed)
  } finally {
    clearInterval(heartbeat)
    signal.removeEventListener('abort', onOuterAbort)
  }
}
