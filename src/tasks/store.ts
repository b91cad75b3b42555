/**
 * Task state lives in Postgres whichever engine runs the job (in-process or
 * BullMQ), so the API reports the same thing in both modes and a restart
 * loses nothing.
 */
import { and, desc, eq, gt, inArray, or, sql } from 'drizzle-orm'
import type { Database } from '../db/index.ts'
import { tasks } from '../db/schema.ts'
import type { TaskPayload, TaskType } from './registry.ts'
import type { TaskView } from '../http/schemas/tasks.ts'

export type TaskRow = typeof tasks.$inferSelect
export type TaskStatus = TaskRow['status']

/** A task to create: its type, and a payload of that type's schema. */
export interface NewTask<T extends TaskType> {
  type: T
  projectId: string | null
  payload: TaskPayload<T>
  createdBy: string | null
}

/** The advisory lock namespace (two-key form) under which createUnlessQueued looks for a waiting task. */
const QUEUED_LOCK_NAMESPACE = 724_631

export type { TaskView }

export function toTaskView(row: TaskRow): TaskView {
  return {
    id: row.id,
    projectId: row.projectId,
    type: row.type,
    status: row.status,
    progress: row.progress,
    message: row.message,
    result: row.result ?? null,
    error: row.error,
    attempts: row.attempts,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
    updatedAt: row.updatedAt.toISOString()
  }
}

export class TaskStore {
  constructor(private readonly db: Database) {}

  async create<T extends TaskType>(input: NewTask<T>, db: Pick<Database, 'insert'> = this.db): Promise<TaskRow> {
    const [row] = await db.insert(tasks).values({
      type: input.type, projectId: input.projectId, payload: input.payload ?? {}, createdBy: input.createdBy
    }).returning()
    return row
  }

  /**
   * Debounced creation: returns the task of the same type and project whose
   * payload holds `sameAs` and that is still queued (created less than
   * `pendingTtlMs` ago: an older one is presumed lost), else creates one and
   * deletes the succeeded ones of that kind beyond the newest `keepSucceeded`.
   * The check and the insert run under a transaction-scoped advisory lock, so
   * concurrent calls create at most one.
   */
  async createUnlessQueued<T extends TaskType>(input: NewTask<T>, options: { sameAs: Partial<TaskPayload<T>>; pendingTtlMs: number; keepSucceeded: number }): Promise<{ task: TaskRow; created: boolean }> {
    const sameAs = JSON.stringify(options.sameAs)
    const kind = and(eq(tasks.type, input.type), input.projectId ? eq(tasks.projectId, input.projectId) : sql`${tasks.projectId} IS NULL`, sql`${tasks.payload} @> ${sameAs}::jsonb`)
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`SELECT pg_advisory_xact_lock(${QUEUED_LOCK_NAMESPACE}, hashtext(${`${input.type}:${input.projectId}:${sameAs}`}))`)
      const [pending] = await tx.select().from(tasks).where(and(
        kind, eq(tasks.status, 'queued'), sql`${tasks.createdAt} > now() - ${`${options.pendingTtlMs} milliseconds`}::interval`
      )).limit(1)
      if (pending) return { task: pending, created: false }
      await tx.delete(tasks).where(inArray(tasks.id, tx.select({ id: tasks.id }).from(tasks)
        .where(and(kind, eq(tasks.status, 'succeeded'))).orderBy(desc(tasks.createdAt)).offset(options.keepSucceeded)))
      return { task: await this.create(input, tx), created: true }
    })
  }

  async get(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.db.select().from(tasks).where(eq(tasks.id, id))
    return row
  }

  async listForProject(projectId: string, limit = 100): Promise<TaskRow[]> {
    return this.db.select().from(tasks).where(eq(tasks.projectId, projectId)).orderBy(desc(tasks.createdAt)).limit(limit)
  }

  /**
   * A task still `running` whose attempts reached `maxAttempts`: each earlier run ended with its
   * process (killed, out of memory), so running it again would likely kill this one too. Marks it
   * failed and returns the row; undefined if the task may run.
   */
  async failIfExhausted(id: string, maxAttempts: number): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      status: 'failed',
      error: sql`'task stopped after ' || ${tasks.attempts} || ' attempts: the process running it died each time (last heard from at '
        || to_char(${tasks.updatedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '); it will not be run again (TASK_MAX_ATTEMPTS=' || ${maxAttempts}::int || ')'`,
      finishedAt: sql`now()`,
      updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), eq(tasks.status, 'running'), sql`${tasks.attempts} >= ${maxAttempts}`)).returning()
    return row
  }

  /** An attempt interrupted by a graceful shutdown does not count: the process did not die of the task. */
  async releaseAttempt(id: string): Promise<void> {
    await this.db.update(tasks).set({ attempts: sql`greatest(${tasks.attempts} - 1, 0)` })
      .where(and(eq(tasks.id, id), eq(tasks.status, 'running')))
  }

  /** Queued or running (again, after a crash): returns the row, or undefined if it must not run. */
  async start(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      status: 'running', startedAt: sql`coalesce(${tasks.startedAt}, now())`, attempts: sql`${tasks.attempts} + 1`, updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running']))).returning()
    return row
  }

  /** Records progress; returns the current status so a runner can notice a cancellation. */
  async progress(id: string, progress: number, message?: string): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      progress: sql`greatest(${tasks.progress}, ${Math.min(1, Math.max(0, progress))})`,
      ...(message !== undefined ? { message } : {}),
      updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), eq(tasks.status, 'running'))).returning()
    return row ?? await this.get(id)
  }

  async succeed(id: string, result: unknown, message?: string): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      status: 'succeeded', progress: 1, result: result ?? null, message: message ?? 'done', finishedAt: sql`now()`, updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), eq(tasks.status, 'running'))).returning()
    return row
  }

  async fail(id: string, error: string, result?: unknown): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      status: 'failed', error, result: result ?? null, finishedAt: sql`now()`, updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running']))).returning()
    return row
  }

  /** Cancels a task that has not finished; returns the row if it was cancelled now. */
  async cancel(id: string): Promise<TaskRow | undefined> {
    const [row] = await this.db.update(tasks).set({
      status: 'cancelled', message: 'cancelled', finishedAt: sql`now()`, updatedAt: sql`now()`
    }).where(and(eq(tasks.id, id), inArray(tasks.status, ['queued', 'running']))).returning()
    return row
  }

  /** Deletes a task whose delivery failed before anyone could see it run. */
  async remove(id: string): Promise<void> {
    await this.db.delete(tasks).where(and(eq(tasks.id, id), eq(tasks.status, 'queued')))
  }

  /** Marks a running task alive (its runner's heartbeat), so the reconciler leaves it alone. */
  async touch(id: string): Promise<void> {
    await this.db.update(tasks).set({ updatedAt: sql`now()` }).where(and(eq(tasks.id, id), eq(tasks.status, 'running')))
  }

  /**
   * Tasks a queue must hold: those queued for over `graceMs` (a newer one may
   * be being enqueued right now), and running ones that no runner has touched
   * for `staleMs` (their runner died); in id order, after `afterId`.
   */
  async undelivered(options: { graceMs: number; staleMs: number; limit: number; afterId?: string }): Promise<Array<Pick<TaskRow, 'id' | 'type'>>> {
    const olderThan = (column: typeof tasks.createdAt | typeof tasks.updatedAt, ms: number) => sql`${column} < now() - ${`${ms} milliseconds`}::interval`
    return this.db.select({ id: tasks.id, type: tasks.type }).from(tasks).where(and(
      or(
        and(eq(tasks.status, 'queued'), olderThan(tasks.createdAt, options.graceMs)),
        and(eq(tasks.status, 'running'), olderThan(tasks.updatedAt, options.staleMs))
      ),
      options.afterId ? gt(tasks.id, options.afterId) : undefined
    )).orderBy(tasks.id).limit(options.limit)
  }

  /** Tasks an in-process runner must pick up again after a restart. */
  async unfinished(): Promise<TaskRow[]> {
    return this.db.select().from(tasks).where(inArray(tasks.status, ['queued', 'running'])).orderBy(tasks.createdAt)
  }
}
