/**
 * Shutdown with in-process jobs (README "Background jobs"): a job that ends within
 * SHUTDOWN_TIMEOUT_MS is waited for; one still running then is stopped (its signal aborted), left
 * to be resumed, and the next start of the service runs it again to the end.
 */
import t from 'tap'
import { eq } from 'drizzle-orm'
import pg from 'pg'
import { tasks } from '../../src/db/schema.ts'
import { Type } from '@sinclair/typebox'
import { TASKS, type TaskRegistry, type TaskType } from '../../src/tasks/registry.ts'
import { SHUTDOWN, type JobContext } from '../../src/tasks/execute.ts'
import { build, needsServices, waitFor } from '../helper.ts'

// A hang (a job never stopped) ends the test here instead of at tap's 120 s.
t.setTimeout(60000)

/** Runs of the test task, and the switch that lets each finish. */
const runs: Array<{ taskId: string; aborted?: unknown; finish: () => void }> = []
// A task type of this test's own, added to the one registry both job engines read.
const TEST_TASK = 'test-shutdown' as TaskType
;(TASKS as unknown as Record<string, TaskRegistry[string]>)[TEST_TASK] = { payload: Type.Object({}), run: (ctx: JobContext) => new Promise((resolve, reject) => {
  const run: (typeof runs)[number] = { taskId: ctx.task.id, finish: () => resolve({ finished: true }) }
  runs.push(run)
  // Stops when told to, as the real handlers do at their next progress report.
  ctx.signal.addEventListener('abort', () => { run.aborted = ctx.signal.reason; reject(new Error('stopped')) }, { once: true })
}) }

t.test('a job still running after SHUTDOWN_TIMEOUT_MS is stopped, left running, and resumed by the next start', { skip: needsServices }, async (t) => {
  const app = await build(t, { SHUTDOWN_TIMEOUT_MS: '300' })
  const task = await app.tasks.submit({ type: TEST_TASK, projectId: null, createdBy: null, payload: {} as never })
  await waitFor(async () => runs.some((r) => r.taskId === task.id))
  // The next start uses the same database and storage; build it first, then close the first service.
  const env = { DATABASE_URL: app.config.DATABASE_URL, STORAGE_DIR: app.storageDir }
  await app.close()
  const first = runs.find((r) => r.taskId === task.id)!
  t.equal(first.aborted, SHUTDOWN, 'the job was told to stop, for the shutdown')
  const client = new pg.Client({ connectionString: app.config.DATABASE_URL })
  await client.connect()
  const { rows: [stopped] } = await client.query('SELECT status, attempts FROM tasks WHERE id = $1', [task.id])
  await client.end()
  t.same(stopped, { status: 'running', attempts: 0 }, 'left running for the next start, its attempt given back')

  const next = await build(t, env)
  const resumed = await waitFor(async () => runs.filter((r) => r.taskId === task.id)[1])
  t.equal(resumed.aborted, undefined, 'run again by the next start')
  resumed.finish()
  const done = await waitFor(async () => {
    const [r] = await next.db.select().from(tasks).where(eq(tasks.id, task.id))
    return r.status !== 'running' && r
  })
  t.equal(done.status, 'succeeded')
  t.equal(done.attempts, 1, 'the stopped run did not count as an attempt')
  t.same(done.result, { finished: true })
})

t.test('a job that ends within SHUTDOWN_TIMEOUT_MS is waited for', { skip: needsServices }, async (t) => {
  const app = await build(t, { SHUTDOWN_TIMEOUT_MS: '60000' })
  const task = await app.tasks.submit({ type: TEST_TASK, projectId: null, createdBy: null, payload: {} as never })
  const run = await waitFor(async () => runs.find((r) => r.taskId === task.id))
  const db = app.db
  const closed = app.close()
  // Still draining: the pool is open until the job has ended.
  const [during] = await db.select().from(tasks).where(eq(tasks.id, task.id))
  t.equal(during.status, 'running', 'the job is still running while the service drains')
  run.finish()
  await closed
  t.equal(run.aborted, undefined, 'not stopped')
  const other = await build(t, { DATABASE_URL: app.config.DATABASE_URL, STORAGE_DIR: app.storageDir })
  const [after] = await other.db.select().from(tasks).where(eq(tasks.id, task.id))
  t.equal(after.status, 'succeeded', 'finished during the drain')
})
