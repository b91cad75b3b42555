import t, { type Test } from 'tap'
import { tasks } from '../../src/db/schema.ts'
import { buildServer } from '../../src/server.ts'
import { build, needsRedis, needsServices, taskFinished, userWithToken } from '../helper.ts'
import type { FastifyInstance } from 'fastify'

/** Stores tasks whose payloads do not match their type's schema (as an older release or a hand edit could) and runs them. */
async function badPayloadsFail(t: Test, app: FastifyInstance) {
  const { user, auth } = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Payloads' } })).json()
  const cases = [
    { type: 'screening-train', payload: { stage: 'abstract_only' }, error: /^task payload does not match the "screening-train" task type: \/stage: / },
    { type: 'search', payload: { mode: 'simple', searches: [], maxRecordsPerDatabase: 10 }, error: /^task payload does not match the "search" task type: \/searches: .*1/ },
    { type: 'import-references', payload: {}, error: /^task payload does not match the "import-references" task type: \/fileId: .*required/i }
  ]
  for (const c of cases) {
    const [row] = await app.db.insert(tasks).values({ type: c.type, projectId: project.id, payload: c.payload, createdBy: user.id }).returning()
    await app.tasks.deliver(row)
    const done = await taskFinished(app, auth, row.id)
    t.equal(done.status, 'failed', c.type)
    t.match(done.error, c.error)
  }
  // A payload that matches runs (a training of an empty project succeeds).
  const good = await app.tasks.submit({ type: 'screening-train', projectId: project.id, payload: { stage: 'full_text' }, createdBy: user.id })
  t.equal((await taskFinished(app, auth, good.id)).status, 'succeeded')
}

t.test('in-process: a stored payload that does not match its task type fails the task, naming the mismatch', { skip: needsServices }, async (t) => {
  await badPayloadsFail(t, await build(t))
})

t.test('BullMQ worker: the same check, through the same registry', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL })
  const worker = buildServer({ ...app.config }, 'worker')
  t.teardown(() => worker.close())
  await worker.ready()
  await badPayloadsFail(t, app)
})
