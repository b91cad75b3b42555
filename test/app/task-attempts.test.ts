import t from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import { eq } from 'drizzle-orm'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createDatabase } from '../../src/db/index.ts'
import { applyMigrations } from '../../src/db/migrate.ts'
import { tasks } from '../../src/db/schema.ts'
import { createTaskQueue, enqueueTask } from '../../src/tasks/bullmq.ts'
import { needsRedis, needsServices, testConfig, waitFor } from '../helper.ts'

// Each test starts service processes one after the other, each compiling the service through tsx.
t.setTimeout(900000)

const MAX_ATTEMPTS = 2
/** Generous: a child compiles the whole service through tsx, slow on a loaded machine. */
const START_TIMEOUT_MS = 180000
const children = new Set<ChildProcess>()
t.teardown(() => { for (const child of children) child.kill('SIGKILL') })

interface Child { child: ChildProcess; messages: string[]; exited: Promise<unknown> }

/** Starts test/support/task-child.ts with the app's database, storage and queue. */
function startChild(env: Record<string, string>, role: 'web' | 'worker'): Child {
  const child = fork('test/support/task-child.ts', [role], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, LOG_LEVEL: 'silent', PORT: '0', TASK_MAX_ATTEMPTS: String(MAX_ATTEMPTS), ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  children.add(child)
  const messages: string[] = []
  child.on('message', (m) => messages.push(String(m)))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return { child, messages, exited }
}

async function killWhenRunning(c: Child): Promise<void> {
  await waitFor(async () => c.messages.includes('running'), START_TIMEOUT_MS)
  c.child.kill('SIGKILL')
  await c.exited
}

async function stop(c: Child): Promise<void> {
  c.child.kill('SIGKILL')
  await c.exited
}

for (const mode of ['in-process', 'bullmq'] as const) {
  t.test(`${mode}: a task whose process dies on every attempt is failed after TASK_MAX_ATTEMPTS, never run again`, {
    skip: needsServices || (mode === 'bullmq' && needsRedis)
  }, async (t) => {
    // No service in this process: the children are the only ones that could run the task.
    const config = await testConfig(t)
    const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 2 })
    t.teardown(() => pool.end())
    await applyMigrations(pool)
    const db = createDatabase(pool)
    const env: Record<string, string> = {
      DATABASE_URL: config.DATABASE_URL!, STORAGE_DIR: config.STORAGE_DIR, QUEUE_PREFIX: config.QUEUE_PREFIX,
      ...(mode === 'bullmq' ? { REDIS_URL: process.env.TEST_REDIS_URL!, JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '1000' } : {})
    }
    const role = mode === 'bullmq' ? 'worker' : 'web'
    // In-process mode: the children resume the queued task at start-up, as after a crash.
    const taskId = (await db.insert(tasks).values({ type: 'test-hang', payload: {} }).returning())[0].id
    if (mode === 'bullmq') {
      const redis = new Redis(process.env.TEST_REDIS_URL!)
      const queue = createTaskQueue(redis, config.QUEUE_PREFIX)
      await enqueueTask(queue, taskId, 'test-hang')
      await queue.close()
      redis.disconnect()
    }
    const row = async () => (await db.select().from(tasks).where(eq(tasks.id, taskId)))[0]

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      await killWhenRunning(startChild(env, role))
      t.match(await row(), { status: 'running', attempts: attempt }, `attempt ${attempt} died with its process`)
    }

    const next = startChild(env, role)
    t.teardown(() => stop(next))
    const failed = await waitFor(async () => { const r = await row(); return r.status === 'failed' && r }, START_TIMEOUT_MS)
    t.match(failed.error, new RegExp(`task stopped after ${MAX_ATTEMPTS} attempts: the process running it died each time .*TASK_MAX_ATTEMPTS`))
    t.equal(failed.attempts, MAX_ATTEMPTS)
    t.ok(failed.finishedAt)
    t.notOk(next.messages.includes('running'), 'not run a third time')

    // BullMQ does not deliver a job again once a worker has ended it; the in-process runner looks in the database.
    if (mode === 'bullmq') return
    const again = startChild(env, role)
    t.teardown(() => stop(again))
    await waitFor(async () => again.messages.includes('ready'), START_TIMEOUT_MS)
    await new Promise((r) => setTimeout(r, 3000))
    t.notOk(again.messages.includes('running'), 'not resumed at the next start')
    t.match(await row(), { status: 'failed', attempts: MAX_ATTEMPTS })
  })
}
