import t from 'tap'
import fs from 'node:fs/promises'
import path from 'node:path'
import { eq, sql } from 'drizzle-orm'
import { articles, files, tasks } from '../../src/db/schema.ts'
import { buildServer } from '../../src/server.ts'
import { build, fileUpload, needsRedis, needsServices, userWithToken, waitFor } from '../helper.ts'
import { startRedisServer } from '../support/redis.ts'

const RIS = 'TY  - JOUR\nTI  - Therapeutic alliance with a chatbot\nAU  - Doe, Jane\nPY  - 2021\nDO  - 10.1000/outage.1\nER  - \n'

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name))
}

t.test('with Redis down, task submission answers 503 at once and leaves no task, file row or upload behind', { skip: needsServices || needsRedis }, async (t) => {
  const redis = await startRedisServer(t)
  const app = await build(t, { REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '1000', ENQUEUE_TIMEOUT_MS: '100' })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Outage' } })).json()
  const projectDir = path.join(app.storageDir, 'projects', project.id)
  const before = await filesUnder(projectDir)

  await redis.stop()
  await waitFor(async () => app.redis.shared.status !== 'ready', 10000)

  const upload = fileUpload('outage.ris', RIS)
  const imported = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload })
  t.equal(imported.statusCode, 503, imported.body)
  t.match(imported.headers['retry-after'], /^\d+$/, 'Retry-After tells the client when to try again')
  t.match(imported.json(), { statusCode: 503, error: 'Service Unavailable', message: /task queue/ })

  const dedup = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/duplicates/run`, headers: alice.auth })
  t.equal(dedup.statusCode, 503, dedup.body)
  t.match(dedup.json(), { statusCode: 503, message: /task queue/ })

  t.equal(await app.db.$count(tasks, eq(tasks.projectId, project.id)), 0, 'no task row left queued')
  t.equal(await app.db.$count(files, eq(files.projectId, project.id)), 0, 'no file row for the refused upload')
  t.same(await filesUnder(projectDir), before, 'the refused upload is not left on disk')

  const ready = await app.inject({ url: '/api/health/ready' })
  t.equal(ready.statusCode, 503)
  t.ok(ready.json().failing.includes('redis'), 'readiness names Redis')

  // A screening decision is stored all the same; the retraining it queues waits for Redis.
  const [article] = await app.db.insert(articles).values({ projectId: project.id, title: 'A record' }).returning()
  const decided = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/articles/${article.id}/decisions`, headers: alice.auth, payload: { decision: 'include' } })
  t.equal(decided.statusCode, 201, decided.body)
  await app.tasks.backgroundSettled() // the retraining is queued once the decision is answered
  const [training] = await app.db.select().from(tasks).where(eq(tasks.projectId, project.id))
  t.match(training, { type: 'screening-train', status: 'queued' })

  // Redis back: the waiting retraining is enqueued, and submissions are accepted again.
  await redis.start()
  await waitFor(async () => app.taskQueue!.getJob(training.id).catch(() => undefined), 20000, 200)
  t.pass('the retraining queued while Redis was down was enqueued once it was back')
  const accepted = await waitFor(async () => {
    const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/duplicates/run`, headers: alice.auth })
    return res.statusCode === 202 && res
  }, 20000, 200)
  t.equal(accepted.json().status, 'queued')
})

t.test('a Redis that hangs: the enqueue times out, 503, and the task row and upload are removed', { skip: needsServices || needsRedis }, async (t) => {
  const redis = await startRedisServer(t)
  const app = await build(t, { REDIS_URL: redis.url, ENQUEUE_TIMEOUT_MS: '300' })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Hang' } })).json()
  const projectDir = path.join(app.storageDir, 'projects', project.id)
  const before = await filesUnder(projectDir)

  redis.pause()
  t.teardown(() => redis.resume())
  // Bounded, so that a request that hangs fails the test instead of stalling it.
  const answer = <T>(request: Promise<T>) => Promise.race([request, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 30 s')), 30000))])
  const dedup = await answer(app.inject({ method: 'POST', url: `/api/projects/${project.id}/duplicates/run`, headers: alice.auth }))
  t.equal(dedup.statusCode, 503, dedup.body)
  t.match(dedup.json().message, /did not answer within 300 ms/)
  const upload = fileUpload('hang.ris', RIS)
  const imported = await answer(app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...alice.auth, ...upload.headers }, payload: upload.payload }))
  t.equal(imported.statusCode, 503, imported.body)
  t.equal(await app.db.$count(tasks, eq(tasks.projectId, project.id)), 0, 'the task rows were removed again')
  t.equal(await app.db.$count(files, eq(files.projectId, project.id)), 0)
  t.same(await filesUnder(projectDir), before, 'the upload was removed')
  redis.resume()
})

t.test('tasks whose jobs Redis lost (restart without persistence) are enqueued again and run once', { skip: needsServices || needsRedis }, async (t) => {
  const redis = await startRedisServer(t)
  const app = await build(t, { REDIS_URL: redis.url, RECONCILE_INTERVAL_MS: '1000', JOB_LOCK_MS: '2000', ENQUEUE_TIMEOUT_MS: '100' })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Lost jobs' } })).json()

  // Queued while no worker runs.
  const queued = (await app.inject({ method: 'POST', url: `/api/projects/${project.id}/duplicates/run`, headers: alice.auth })).json()
  t.equal(queued.status, 'queued')
  // Another left running by a worker that died long ago (its job is gone with Redis's data).
  const [orphan] = await app.db.insert(tasks).values({
    type: 'deduplicate', projectId: project.id, payload: {}, createdBy: alice.user.id, status: 'running', attempts: 1,
    startedAt: sql`now() - interval '1 hour'`, updatedAt: sql`now() - interval '1 hour'`
  }).returning()

  await redis.stop()
  await redis.start()
  const redisKeys = async () => (await app.redis.shared.keys(`${app.config.QUEUE_PREFIX}:tasks:*`)).length
  await waitFor(async () => app.redis.shared.status === 'ready', 20000, 100)

  const worker = buildServer({ ...app.config }, 'worker')
  t.teardown(() => worker.close())
  await worker.ready()
  for (const id of [queued.id, orphan.id]) {
    const row = await waitFor(async () => {
      const [r] = await app.db.select().from(tasks).where(eq(tasks.id, id))
      return ['succeeded', 'failed', 'cancelled'].includes(r.status) && r
    }, 30000, 100)
    t.equal(row.status, 'succeeded', `task ${id === queued.id ? 'queued' : 'orphaned'} before the restart ran: ${row.error ?? ''}`)
  }
  const [q] = await app.db.select().from(tasks).where(eq(tasks.id, queued.id))
  const [o] = await app.db.select().from(tasks).where(eq(tasks.id, orphan.id))
  t.equal(q.attempts, 1, 'the queued task ran once')
  t.equal(o.attempts, 2, 'the orphaned task ran once more')
  t.ok(await redisKeys() > 0)

  // Reconciling again finds nothing to do: jobs are not added twice.
  const { reconcileTasks } = await import('../../src/tasks/reconcile.ts')
  const again = await reconcileTasks({ db: app.db, queue: app.taskQueue!, connection: app.redis.shared, staleRunningMs: 2000, queuedGraceMs: 0 })
  t.same(again.requeued, [])
  const ready = (await app.inject({ url: '/api/health/ready' })).json()
  t.equal(ready.status, 'ready')
  t.ok(ready.checks.queue.requeued + (worker.taskReconciler?.status.requeued ?? 0) >= 2, 'the re-enqueued tasks are counted in readiness')
})

t.test('one process reconciles at a time: the others skip while the advisory lock is held', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL, RECONCILE_INTERVAL_MS: '600000' })
  const { reconcileTasks, RECONCILE_LOCK } = await import('../../src/tasks/reconcile.ts')
  const deps = { db: app.db, queue: app.taskQueue!, connection: app.redis.shared, staleRunningMs: 30000, queuedGraceMs: 0 }
  const client = await app.pg.pool.connect()
  t.teardown(() => client.release())
  await client.query('SELECT pg_advisory_lock($1, $2)', [...RECONCILE_LOCK])
  t.equal((await reconcileTasks(deps)).skipped, true, 'skipped while another session holds the lock')
  await client.query('SELECT pg_advisory_unlock($1, $2)', [...RECONCILE_LOCK])
  t.equal((await reconcileTasks(deps)).skipped, false, 'runs once the lock is free')
})
