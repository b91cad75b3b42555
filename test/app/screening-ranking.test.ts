import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { and, eq } from 'drizzle-orm'
import { articles, screeningModels, tasks } from '../../src/db/schema.ts'
import { queueTraining } from '../../src/services/screening-model.ts'
import { InProcessRunner } from '../../src/tasks/in-process.ts'
import { TaskService } from '../../src/tasks/service.ts'
import { build, DATASETS, fileUpload, needsServices, userWithToken, waitFor } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const CHATBOT = [
  'Therapeutic alliance with a chatbot for depression: conversational agent trial',
  'Conversational agent chatbot and working alliance in anxiety',
  'Chatbot delivered therapy: alliance and engagement with a conversational agent',
  'Working alliance with conversational agents in digital mental health chatbot apps',
  'A chatbot conversational agent for students: alliance and symptoms of depression',
  'Measuring the digital therapeutic alliance with a chatbot conversational agent'
]
const OTHER = [
  'Knee replacement surgery outcomes in an orthopaedic registry',
  'Insulin dosing and glucose control in type 2 diabetes',
  'Orthopaedic knee arthroscopy: registry outcomes after surgery',
  'Glucose monitoring and insulin pumps in diabetes care',
  'Hip and knee surgery: orthopaedic complications in a registry',
  'Diabetes education and insulin adherence: glucose outcomes',
  'Surgery waiting times for knee and hip orthopaedic patients',
  'Type 2 diabetes, insulin and glucose variability',
  'Registry of orthopaedic surgery outcomes for the knee',
  'Glucose, insulin and diabetes in older adults'
]

t.test('the next record follows the model once it is trained; retraining is debounced; stopping signals', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const viewer = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Ranking' } })).json()
  const base = `/api/projects/${project.id}`
  await app.inject({ method: 'PUT', url: `${base}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  await app.inject({ method: 'PUT', url: `${base}/members`, headers: alice.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  // Interleaved so that import order says nothing about the topic.
  const titles = OTHER.flatMap((title, i) => [title, ...(CHATBOT[i] ? [CHATBOT[i]] : [])])
  const rows = await app.db.insert(articles).values(titles.map((title, i) => ({ projectId: project.id, title, sourceIndex: i }))).returning()
  const isChatbot = (id: string) => CHATBOT.includes(rows.find((r) => r.id === id)!.title)
  const next = async (who = alice, query = '') => {
    const res = await app.inject({ url: `${base}/screening/next?stage=title_abstract${query}`, headers: who.auth })
    t.equal(res.statusCode, 200, res.body)
    return res.json()
  }
  // The retraining a decision asks for is queued once the decision is answered: wait for that first.
  const trainingsDone = () => app.tasks.backgroundSettled().then(() => waitFor(async () => {
    const pending = await app.db.select({ id: tasks.id }).from(tasks)
      .where(and(eq(tasks.projectId, project.id), eq(tasks.type, 'screening-train'), eq(tasks.status, 'queued')))
    const running = await app.db.select({ id: tasks.id }).from(tasks)
      .where(and(eq(tasks.projectId, project.id), eq(tasks.type, 'screening-train'), eq(tasks.status, 'running')))
    return pending.length === 0 && running.length === 0
  }))

  // Before any decision: a seeded random order, the same for the same seed.
  const first = await next()
  t.equal(first.rankedBy, 'random')
  t.equal(first.remaining, titles.length)
  t.equal((await next(alice, '&seed=1')).article.id, first.article.id, 'seed 1 is the default')
  const seeds = new Set<string>()
  for (let seed = 2; seed < 8; seed++) seeds.add((await next(alice, `&seed=${seed}`)).article.id)
  t.ok(seeds.size > 1, 'other seeds give other orders')

  // One include on the chatbot topic and one exclude on another: after retraining, chatbot records come first.
  const knee = rows.find((r) => r.title.startsWith('Knee replacement'))!
  const alliance = rows.find((r) => r.title.startsWith('Therapeutic alliance'))!
  const decide = (who: typeof alice, id: string, decision: string) =>
    app.inject({ method: 'POST', url: `${base}/articles/${id}/decisions`, headers: who.auth, payload: { decision } })
  t.equal((await decide(alice, alliance.id, 'include')).statusCode, 201)
  await trainingsDone()
  t.equal((await next()).rankedBy, 'random', 'no model with includes only')
  t.equal((await decide(alice, knee.id, 'exclude')).statusCode, 201)
  await trainingsDone()
  const [model] = await app.db.select().from(screeningModels).where(eq(screeningModels.projectId, project.id))
  t.match(model, { stage: 'title_abstract', model: 'ensemble', labelled: 2, includes: 1, stats: { mode: 'model' } })
  const ranked = await next()
  t.equal(ranked.rankedBy, 'model')
  t.ok(isChatbot(ranked.article.id), `first proposed after training: ${ranked.article.title}`)
  t.equal(ranked.remaining, titles.length - 2)
  t.ok(ranked.article.relevance > 0.5)
  t.same(ranked.following, [], 'one record unless more are asked for')
  const queue = await next(alice, '&count=5')
  t.equal(queue.article.id, ranked.article.id, 'count does not change the first record')
  t.equal(queue.following.length, 4, 'the four records after it')
  t.ok(queue.following.every((r: Json) => isChatbot(r.id)), 'the other chatbot records follow')
  const scores = [queue.article, ...queue.following].map((r: Json) => r.relevance)
  t.same(scores, [...scores].sort((a, b) => b - a), 'in decreasing score')
  t.equal(queue.remaining, titles.length - 2)
  t.equal((await next(alice, '&count=50')).following.length, titles.length - 3, 'at most every available record')
  const list = (await app.inject({ url: `${base}/screening/records?stage=title_abstract&sort=relevance&status=awaiting&pageSize=5`, headers: alice.auth })).json()
  t.same(list.items.map((r: Json) => isChatbot(r.id)), [true, true, true, true, true], 'the five other chatbot records rank first')
  const article = (await app.inject({ url: `${base}/articles/${ranked.article.id}`, headers: alice.auth })).json()
  t.equal(article.relevance, ranked.article.relevance, 'each article exposes its relevance')

  // Another reviewer is still offered the records alice screened (one reviewer per record is the default: they are not).
  t.equal((await next(bob)).remaining, titles.length - 2)
  await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: alice.auth, payload: { reviewersPerRecord: 2 } })
  t.equal((await next(bob)).remaining, titles.length, 'with two reviewers per record bob may screen everything')
  t.equal((await next(alice)).remaining, titles.length - 2, 'but not alice again')

  // Stopping signals.
  for (const r of list.items.slice(0, 3)) await decide(alice, r.id, 'include')
  for (const r of rows.filter((x) => !isChatbot(x.id) && x.id !== knee.id).slice(0, 4)) await decide(alice, r.id, 'exclude')
  const stats = (await app.inject({ url: `${base}/screening/stats?stage=title_abstract`, headers: viewer.auth })).json()
  t.equal(stats.records, titles.length)
  t.equal(stats.screened, 9)
  t.equal(stats.unscreened, titles.length - 9)
  t.equal(stats.includesFound, 4)
  t.equal(stats.sinceLastInclude, 4, 'four excludes after the last include')
  t.equal(stats.remainingRelevant.method, 'recent-rate')
  t.ok(Math.abs(stats.remainingRelevant.estimate - 4 / 9 * (titles.length - 9)) < 1e-9)
  t.match(stats.knee, { method: 'knee', stop: false })
  t.match(stats.hypergeometric, { method: 'hypergeometric', stop: false, recallTarget: 0.95, confidence: 0.95, default: true })
  t.ok(stats.hypergeometric.pValue > 0.05, 'nine records screened cannot reject "recall < 95%"')
  t.equal(stats.stoppingEvidence.defaultRule, 'hypergeometric recall 95% @ 95%')
  t.ok(stats.stoppingEvidence.rules.some((r: { rule: string }) => r.rule === 'knee'), 'evidence for every signal offered')
  t.equal(stats.statusCounts.awaiting, titles.length, 'with two reviewers per record nothing is settled by one')

  // Old trainings do not pile up in the project's tasks.
  for (const r of rows.filter((x) => !isChatbot(x.id)).slice(5, 8)) {
    await decide(alice, r.id, 'exclude')
    await trainingsDone()
  }
  const trainings = await app.db.select({ id: tasks.id }).from(tasks).where(and(eq(tasks.projectId, project.id), eq(tasks.type, 'screening-train')))
  t.ok(trainings.length <= 4, `${trainings.length} training tasks kept after at least six trainings`)

  // Debounce: concurrent requests queue one training; a queued one is returned, not duplicated.
  const delivered: string[] = []
  // A task service whose runner only notes what it is given, so the trainings stay queued.
  const noting = new TaskService(app.db, app.events, { mode: 'in-process', runner: new InProcessRunner({ concurrency: 1, run: async (id) => { delivered.push(id) }, onError: () => {} }) })
  const otherProject = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Debounce' } })).json()
  const outcomes = await Promise.all(Array.from({ length: 8 }, () => queueTraining({ tasks: noting }, otherProject.id, 'title_abstract', alice.user.id)))
  t.equal(outcomes.filter((o) => o.created).length, 1, 'one training queued for eight concurrent requests')
  await new Promise((resolve) => setImmediate(resolve)) // the runner starts what it is given on the next turn
  t.equal(new Set(outcomes.map((o) => o.task.id)).size, 1)
  t.same(delivered, [outcomes[0].task.id])
  const fullText = await queueTraining({ tasks: noting }, otherProject.id, 'full_text', alice.user.id)
  t.ok(fullText.created, 'stages are debounced separately')
  const manual = await app.inject({ method: 'POST', url: `/api/projects/${otherProject.id}/screening/train`, headers: alice.auth, payload: { stage: 'title_abstract' } })
  t.equal(manual.statusCode, 202)
  t.equal(manual.json().id, outcomes[0].task.id, 'the waiting training is returned')

  // Access and bad input.
  t.equal((await app.inject({ url: `${base}/screening/next`, headers: viewer.auth })).statusCode, 403, 'viewers do not screen')
  for (const url of [`${base}/screening/next`, `${base}/screening/stats`]) t.equal((await app.inject({ url, headers: outsider.auth })).statusCode, 404)
  for (const url of [`${base}/screening/next?seed=-1`, `${base}/screening/next?stage=x`, `${base}/screening/stats?stage=x`, `${base}/screening/next?other=1`]) {
    t.equal((await app.inject({ url, headers: alice.auth })).statusCode, 400, url)
  }
  t.equal((await app.inject({ method: 'POST', url: `${base}/screening/train`, headers: alice.auth, payload: { stage: 'x' } })).statusCode, 400)
})

const csvPath = path.join(DATASETS, 'screening/Cohen_2006/Antihistamines.csv')

t.test('simulation on an imported labelled CSV reports the CLI metrics', { skip: needsServices || (existsSync(csvPath) ? false : 'datasets missing') }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Simulation' } })).json()
  const base = `/api/projects/${project.id}`
  const runTask = async (res: { statusCode: number; body: string; json(): Json }) => {
    t.equal(res.statusCode, 202, res.body)
    return waitFor(async () => {
      const task = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: alice.auth })).json()
      return ['succeeded', 'failed'].includes(task.status) && task
    }, 60000)
  }

  const noLabels = await runTask(await app.inject({ method: 'POST', url: `${base}/screening/simulations`, headers: alice.auth, payload: {} }))
  t.equal(noLabels.status, 'failed')
  t.match(noLabels.error, /no record has an imported label/)

  const content = readFileSync(csvPath)
  const body = fileUpload('Antihistamines.csv', content)
  const imported = await runTask(await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...alice.auth, ...body.headers }, payload: body.payload }))
  t.equal(imported.status, 'succeeded', imported.error ?? '')
  const simulation = await runTask(await app.inject({
    method: 'POST', url: `${base}/screening/simulations`, headers: alice.auth, payload: { batchId: imported.result.batchId, seeds: 1, classifier: 'nb' }
  }))
  t.equal(simulation.status, 'succeeded', simulation.error ?? '')
  const result = simulation.result
  t.same([result.records, result.relevant, result.evaluatedRecords, result.evaluatedRelevant], [310, 16, 308, 15], 'the CSV\'s records, less 1 + 1 priors')
  const curve = result.runs[0].recallCurve as Array<[number, number]>
  // 308 records → a point every ceil(308/200) = 2 records: [0, 0], [2, found(2)], …, [308, 15].
  t.same(curve.map(([screened]) => screened), Array.from({ length: 155 }, (_, i) => 2 * i))
  t.same(curve.at(-1), [308, 15], 'the recall curve ends with every relevant record found')
  // The reported metrics checked against the curve by hand (not against the metrics library):
  const found = new Map(curve)
  // RRF@10: relevant found in the first 30 records (30/308 ≤ 10% < 31/308), over 15.
  t.equal(result.mean.rrf10, found.get(30)! / 15)
  // WSS@r = (t' − t)/308, t the 0-based position of the k-th relevant record, t' where the random baseline
  // round(i·15/307) reaches k: k = 14 for 95% (14/15 ≤ 0.95), t' = 277; k = 15 for 100%, t' = 297.
  // The curve puts the k-th relevant record at 1-based position s − 1 or s, s the first point with found ≥ k.
  for (const [key, k, randomAt] of [['wss95', 14, 277], ['wss100', 15, 297]] as const) {
    const s = curve.find(([, f]) => f >= k)![0]
    t.ok([(randomAt - (s - 2)) / 308, (randomAt - (s - 1)) / 308].some((v) => Math.abs(v - result.mean[key]) < 1e-12), `${key} ${result.mean[key]}, point ${s}`)
  }
  // ATD·15 = Σ positions of the relevant records = Σ_{i=0..307} (15 − found(i)); found(i) at odd i lies
  // between its even neighbours, which bounds the sum.
  let low = 0
  let high = 0
  for (let i = 0; i < 308; i++) {
    low += 15 - (i % 2 === 0 ? found.get(i)! : found.get(i + 1)!)
    high += 15 - (i % 2 === 0 ? found.get(i)! : found.get(i - 1)!)
  }
  t.ok(result.mean.atd >= low / 15 / 308 - 1e-12 && result.mean.atd <= high / 15 / 308 + 1e-12, `ATD ${result.mean.atd} in [${low / 4620}, ${high / 4620}]`)
  t.ok(Math.abs(result.mean.atdRecords - result.mean.atd * 308) < 1e-9, 'ATD in records = ATD × 308')

  const whole = await runTask(await app.inject({ method: 'POST', url: `${base}/screening/simulations`, headers: alice.auth, payload: { retrainEvery: 20 } }))
  t.equal(whole.status, 'succeeded', 'the whole project with its imported labels')
  t.equal(whole.result.source.labels, 'import')

  for (const payload of [{ seeds: 0 }, { seeds: 11 }, { classifier: 'forest' }, { labels: 'llm' }, { batchId: 'x' }, { extra: true }]) {
    t.equal((await app.inject({ method: 'POST', url: `${base}/screening/simulations`, headers: alice.auth, payload })).statusCode, 400, JSON.stringify(payload))
  }
  const unknownBatch = await app.inject({ method: 'POST', url: `${base}/screening/simulations`, headers: alice.auth, payload: { batchId: '00000000-0000-4000-8000-000000000000' } })
  t.equal(unknownBatch.statusCode, 404)
  t.equal(unknownBatch.json().field, 'batchId')
  t.equal((await app.inject({ method: 'POST', url: `${base}/screening/simulations`, headers: outsider.auth, payload: {} })).statusCode, 404)
})
