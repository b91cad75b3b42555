import t from 'tap'
import pg from 'pg'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

t.test('work handed to inBackground runs after the caller\'s turn, and backgroundSettled waits for all of it', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const order: string[] = []
  app.tasks.inBackground(async () => {
    order.push('background')
    // Work added by background work is waited for too.
    app.tasks.inBackground(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
      order.push('added meanwhile')
    })
  })
  order.push('caller')
  await Promise.resolve()
  order.push('caller, after a microtask')
  await app.tasks.backgroundSettled()
  t.same(order, ['caller', 'caller, after a microtask', 'background', 'added meanwhile'])
  // A failure stays with the work: the caller and the others are not affected, and it is reported
  // as a warning, even when nobody waits for the work (an unhandled rejection would end the process).
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve))
  app.tasks.inBackground(async () => { throw new Error('refused') })
  app.tasks.inBackground(async () => { order.push('after a failure') })
  t.equal((await warned).message, 'refused', 'the failure is reported as a process warning')
  await app.tasks.backgroundSettled()
  t.equal(order.at(-1), 'after a failure')
})

t.test('closing the app waits for background work: a decision answered just before still has its retraining queued', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Closing' } })).json()
  const [article] = await app.db.insert(articles).values({ projectId: project.id, title: 'A record' }).returning()
  const decided = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/articles/${article.id}/decisions`, headers: alice.auth, payload: { decision: 'include' } })
  t.equal(decided.statusCode, 201, decided.body)
  // Closing waits for what was left to the background (the decision's queueing, and here a write that
  // comes later still) before the database pool closes.
  app.tasks.inBackground(async () => {
    await new Promise((resolve) => setTimeout(resolve, 100))
    await app.db.insert(articles).values({ projectId: project.id, title: 'Written after close() began' })
  })
  await app.close()
  const client = new pg.Client({ connectionString: app.config.DATABASE_URL })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query('SELECT type, status FROM tasks WHERE project_id = $1', [project.id])
  t.same(rows.map((r) => r.type), ['screening-train'], 'the retraining is in the database')
  const { rows: late } = await client.query('SELECT title FROM articles WHERE project_id = $1 AND title LIKE \'Written%\'', [project.id])
  t.equal(late.length, 1, 'the background write ended before the pool closed')
})
