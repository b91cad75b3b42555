import t from 'tap'
import { spawn } from 'node:child_process'
import pg from 'pg'
import { and, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, decisions, screeningModels, tasks } from '../../src/db/schema.ts'
import { currentRanking } from '../../src/services/screening-ranking.ts'
import { STORE_LOCK, TRAINING_LOCK, trainScreeningModel } from '../../src/services/screening-model.ts'
import { build, needsRedis, needsServices, userWithToken, waitFor } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
type User = Awaited<ReturnType<typeof userWithToken>>

const topic = (i: number) => `Chatbot conversational agent and therapeutic alliance ${i}`
const other = (i: number) => `Knee surgery outcomes in an orthopaedic registry ${i}`

/** A project of 10 topic and 30 other records (interleaved), and its decide/next helpers. */
async function screeningProject(app: FastifyInstance, owner: User) {
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Ranking store' } })).json()
  const base = `/api/projects/${project.id}`
  const titles = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? topic(i) : other(i)))
  const rows = await app.db.insert(articles).values(titles.map((title, i) => ({ projectId: project.id, title, sourceIndex: i }))).returning()
  const next = async (who: User, query = '') => {
    const res = await app.inject({ url: `${base}/screening/next?stage=title_abstract${query}`, headers: who.auth })
    if (res.statusCode !== 200) throw new Error(res.body)
    return res.json()
  }
  const decide = async (who: User, id: string, decision: string) => {
    const res = await app.inject({ method: 'POST', url: `${base}/articles/${id}/decisions`, headers: who.auth, payload: { decision } })
    if (res.statusCode !== 201) throw new Error(res.body)
  }
  const trainings = () => app.db.select().from(tasks).where(and(eq(tasks.projectId, project.id), eq(tasks.type, 'screening-train')))
  // A decision's retraining is queued once the decision is answered: wait for that, then for the trainings.
  const trainingsDone = () => app.tasks.backgroundSettled().then(() => waitFor(async () => (await trainings()).every((task) => ['succeeded', 'failed'].includes(task.status)), 60000))
  return { project, base, rows, next, decide, trainings, trainingsDone, isTopic: (id: string) => rows.find((r) => r.id === id)!.title.startsWith('Chatbot') }
}

/** Holds an advisory lock of the training of a project's title/abstract stage on a connection of its own until released. */
async function holdLock(app: FastifyInstance, namespace: number, projectId: string) {
  const client = await app.pg.pool.connect()
  await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [namespace, `${projectId}:title_abstract`])
  return async () => {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [namespace, `${projectId}:title_abstract`])
    client.release()
  }
}

t.test('a decision made while a retraining runs never comes back from next', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const { project, base, rows, next, isTopic } = await screeningProject(app, alice)
  await app.inject({ method: 'PUT', url: `${base}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  // Labels written directly (no queued training): the trainings below are the only ones.
  const label = (article: string, decision: 'include' | 'exclude', reviewerId = alice.user.id) =>
    app.db.insert(decisions).values({ projectId: project.id, articleId: article, reviewerId, stage: 'title_abstract', decision })
  await label(rows[0].id, 'include')
  await label(rows[1].id, 'exclude')
  await trainScreeningModel(app.db, project.id, 'title_abstract')
  const top = await next(alice)
  t.equal(top.rankedBy, 'model')
  t.ok(isTopic(top.article.id), 'the model ranks a topic record first')

  // A retraining (of one more label) reads the labels, fits, then waits to store its ranking; meanwhile
  // alice decides on the top record.
  await label(rows[2].id, 'exclude')
  const releaseStore = await holdLock(app, STORE_LOCK, project.id)
  const retraining = trainScreeningModel(app.db, project.id, 'title_abstract')
  await waitFor(async () => {
    const { rows: waiting } = await app.pg.pool.query('SELECT 1 FROM pg_locks WHERE locktype = \'advisory\' AND NOT granted AND classid = $1', [STORE_LOCK])
    return waiting.length > 0
  })
  await label(top.article.id, 'include')
  await releaseStore()
  t.equal((await retraining).superseded, false)
  const ranking = await currentRanking(app.db, project.id, 'title_abstract')
  const unlabelledAtFit = Array.from({ length: ranking!.size }, (_, rank) => ranking!.idAt(rank)).filter((id) => ![rows[0].id, rows[1].id, rows[2].id].includes(id))
  t.equal(unlabelledAtFit[0], top.article.id, 'the stored ranking was fitted before the decision: it still puts the record first')

  const after = await next(alice, '&count=40')
  t.not(after.article.id, top.article.id, 'next skips the record all the same')
  t.notOk(after.following.some((r: Json) => r.id === top.article.id), 'and so do the records after it')
  t.equal(after.remaining, rows.length - 4)
  t.equal(after.following.length, rows.length - 5, 'every other available record, in the ranking')
  t.not((await next(bob)).article.id, top.article.id, 'nor to another reviewer: with one reviewer per record it is settled')
})

t.test('a burst of decisions during a training trains once more, on the latest labels', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const { project, rows, decide, trainings, trainingsDone } = await screeningProject(app, alice)
  // As if a training of this project were running: the queued ones wait for it.
  const release = await holdLock(app, TRAINING_LOCK, project.id)
  for (const row of rows.slice(0, 12)) await decide(alice, row.id, row.title.startsWith('Chatbot') ? 'include' : 'exclude')
  await release()
  await trainingsDone()
  const done = await trainings()
  const fitted = done.filter((task) => !(task.result as Json).superseded && !(task.result as Json).unchanged)
  t.ok(done.length <= 3, `${done.length} trainings queued for 12 decisions`)
  t.equal(fitted.length, 1, 'one of them trained: the others left it to the newer one or found its labels already fitted')
  t.equal((fitted[0].result as Json).labelled, 12, 'on every label')
  const [model] = await app.db.select().from(screeningModels).where(eq(screeningModels.projectId, project.id))
  t.equal(model.labelled, 12)
})

t.test('the ranking stored by a worker process is what the web process proposes', { skip: needsServices || needsRedis }, async (t) => {
  const app = await build(t, { REDIS_URL: process.env.TEST_REDIS_URL })
  const alice = await userWithToken(app)
  const { project, rows, next, decide, trainingsDone, isTopic } = await screeningProject(app, alice)
  const worker = spawn(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
    env: { ...process.env, DATABASE_URL: app.config.DATABASE_URL, REDIS_URL: app.config.REDIS_URL, QUEUE_PREFIX: app.config.QUEUE_PREFIX, STORAGE_DIR: app.storageDir, LOG_LEVEL: 'warn' },
    stdio: 'ignore'
  })
  t.teardown(() => { worker.kill('SIGKILL') })
  t.equal((await next(alice)).rankedBy, 'random')
  await decide(alice, rows[0].id, 'include')
  await decide(alice, rows[1].id, 'exclude')
  await trainingsDone()
  const ranked = await next(alice, '&count=8')
  t.equal(ranked.rankedBy, 'model', 'ranked by the model the worker trained')
  t.ok([ranked.article, ...ranked.following].every((r: Json) => isTopic(r.id)), 'the eight other topic records first')
  const version = (await currentRanking(app.db, project.id, 'title_abstract'))!.version
  await decide(alice, ranked.article.id, 'include')
  await trainingsDone()
  t.ok((await currentRanking(app.db, project.id, 'title_abstract'))!.version > version, 'a newer ranking from the worker')
  const again = await next(alice)
  t.not(again.article.id, ranked.article.id, 'the decided record is not proposed again')
  t.ok(isTopic(again.article.id), 'another topic record is')
})

t.test('a decision made while this process trains is learnt by a training queued when that one ends', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const { project, rows, decide, trainings, trainingsDone } = await screeningProject(app, alice)
  const labelled = async () => (await app.db.select({ labelled: screeningModels.labelled }).from(screeningModels).where(eq(screeningModels.projectId, project.id)))[0]?.labelled
  await decide(alice, rows[0].id, 'include')
  await decide(alice, rows[1].id, 'exclude')
  await trainingsDone()
  t.equal(await labelled(), 2)
  // A training of three labels has read them and fitted, and waits to store; a fourth decision comes meanwhile.
  const releaseStore = await holdLock(app, STORE_LOCK, project.id)
  await decide(alice, rows[2].id, 'exclude')
  await waitFor(async () => (await app.pg.pool.query('SELECT 1 FROM pg_locks WHERE locktype = \'advisory\' AND NOT granted AND classid = $1', [STORE_LOCK])).rows.length > 0)
  const before = (await trainings()).length
  await decide(alice, rows[3].id, 'exclude')
  await new Promise((resolve) => setImmediate(resolve)) // the decision asks for its retraining on the next turn
  t.equal((await trainings()).length, before, 'no training is queued while one runs here')
  await releaseStore()
  await waitFor(async () => (await labelled()) === 4, 60000)
  t.pass('the training queued after it learnt the fourth decision')
  await trainingsDone()
})

t.test('closing while a training runs: it ends, and the retraining asked for meanwhile stays queued for the next start', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const { project, rows, decide, trainingsDone } = await screeningProject(app, alice)
  await decide(alice, rows[0].id, 'include')
  await decide(alice, rows[1].id, 'exclude')
  await trainingsDone()
  const releaseStore = await holdLock(app, STORE_LOCK, project.id)
  await decide(alice, rows[2].id, 'exclude')
  await waitFor(async () => (await app.pg.pool.query('SELECT 1 FROM pg_locks WHERE locktype = \'advisory\' AND NOT granted AND classid = $1', [STORE_LOCK])).rows.length > 0)
  // Asked for while the training runs: queued when it ends, which is during the close.
  await decide(alice, rows[3].id, 'exclude')
  await releaseStore()
  await app.close()
  const client = new pg.Client({ connectionString: app.config.DATABASE_URL })
  await client.connect()
  t.teardown(() => client.end())
  const { rows: left } = await client.query('SELECT status FROM tasks WHERE project_id = $1 AND type = \'screening-train\' ORDER BY created_at', [project.id])
  t.equal(left.at(-1)?.status, 'queued', 'the retraining asked for during the training is queued, for the next start')
  const { rows: [model] } = await client.query('SELECT labelled FROM screening_models WHERE project_id = $1', [project.id])
  t.equal(model.labelled, 3, 'the running training stored its fit before the close ended')
})
