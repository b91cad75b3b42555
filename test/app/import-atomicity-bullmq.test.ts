/**
 * BullMQ worker processes: an import cancelled, refused by the database or killed with its worker
 * after GATE_AT records were written leaves nothing (test/support/import-gate.ts); another worker
 * then completes the killed import. In-process jobs: import-atomicity.test.ts.
 */
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import { buildServer } from '../../src/server.ts'
import { build, fileUpload, needsRedis, needsServices, taskFinished, userWithToken, waitFor } from '../helper.ts'
import { cancelAndRefuse, Gate, kill9, NOTHING, RECORDS, RIS, START_TIMEOUT_MS, startChild } from '../support/import-gate.ts'

t.test('BullMQ worker processes', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL, JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '1000' })
  const gate = await Gate.install(t, app.config.DATABASE_URL!)
  const env = {
    DATABASE_URL: app.config.DATABASE_URL!, REDIS_URL: app.config.REDIS_URL!, QUEUE_PREFIX: app.config.QUEUE_PREFIX,
    STORAGE_DIR: app.storageDir, JOB_CONCURRENCY: '1', JOB_LOCK_MS: '1000', JOB_STALLED_INTERVAL_MS: '1000'
  }
  const worker = startChild(t, env, 'worker')
  await waitFor(async () => worker.messages.includes('ready'), START_TIMEOUT_MS)
  await cancelAndRefuse(t, app, gate)

  await t.test('a worker killed with kill -9 after records were written leaves nothing; another worker completes the import', async (t) => {
    const alice = await userWithToken(app)
    const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Killed' } })).json().id
    const key = await gate.block(projectId)
    const body = fileUpload('atomic.ris', RIS)
    const taskId = (await app.inject({ method: 'POST', url: `/api/projects/${projectId}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload })).json().id
    const pid = await gate.waiting(key)
    await kill9(worker)
    await gate.open(projectId, key)
    await gate.gone(pid)
    t.same(await gate.left(projectId), NOTHING, 'the killed import left nothing')

    // Another worker (in this process) takes the job over once the dead one's lock expired.
    const next = buildServer(loadConfig({ LOG_LEVEL: 'silent', ...env }), 'worker')
    t.teardown(() => next.close())
    await next.ready()
    const task = await taskFinished(app, alice.auth, taskId, START_TIMEOUT_MS)
    t.equal(task.status, 'succeeded', task.error ?? '')
    const left = await gate.left(projectId)
    t.equal(left.articles, RECORDS, 'every record once')
    t.equal(left.batches, 1, 'one batch')
  })
})
