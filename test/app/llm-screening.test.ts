import t from 'tap'
import { articles } from '../../src/db/schema.ts'
import { seedDatabase } from '../../src/db/seed.ts'
import { SCREENING_ANSWER_SCHEMA } from '../../src/llm/screening-prompt.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, userWithToken, waitFor } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('LLM screening runs record the model as its own reviewer and report bad answers', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama({ models: ['llama3:8b'], registry: { 'phi3:mini': 4000 } })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl, LLM_CONCURRENCY: '2', OLLAMA_TIMEOUT_MS: '1000' })
  await seedDatabase(app.db, { adminEmail: 'admin@example.org' })
  const admin = await userWithToken(app, undefined, true)
  const alice = await userWithToken(app)
  const outsider = await userWithToken(app)
  const project = (await app.inject({
    method: 'POST', url: '/api/projects', headers: alice.auth,
    payload: { name: 'LLM', question: 'Does a chatbot build a therapeutic alliance?', criteria: { kind: 'pico', population: 'adults with depression', intervention: 'conversational agents' } }
  })).json()
  const other = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Other' } })).json()
  const base = `/api/projects/${project.id}`
  const rows = await app.db.insert(articles).values([
    { title: 'Chatbot alliance trial [include]', abstract: 'Adults with depression.' },
    { title: 'Conversational agent bond [include]', abstract: 'A randomised trial.' },
    { title: 'Knee surgery registry [exclude]', abstract: 'Orthopaedics.' },
    { title: 'Insulin pumps [exclude]', abstract: 'Diabetes.' },
    { title: 'Broken answer [malformed]', abstract: '' },
    { title: 'Overconfident answer [out-of-range]', abstract: '' },
    { title: 'An unclear record', abstract: 'No design reported.' },
    { title: 'Already screened by a person [include]', abstract: '' }
  ].map((r, i) => ({ ...r, projectId: project.id, sourceIndex: i }))).returning()
  const [otherArticle] = await app.db.insert(articles).values({ projectId: other.id, title: 'Elsewhere' }).returning()
  const byTitle = (start: string) => rows.find((r) => r.title.startsWith(start))!
  await app.inject({ method: 'POST', url: `${base}/articles/${byTitle('Already').id}/decisions`, headers: alice.auth, payload: { decision: 'exclude' } })

  const runTask = async (res: { statusCode: number; body: string; json(): Json }, who = alice) => {
    t.equal(res.statusCode, 202, res.body)
    return waitFor(async () => {
      const task = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: who.auth })).json()
      return ['succeeded', 'failed'].includes(task.status) && task
    }, 30000)
  }
  const llmRun = (payload: Json) => app.inject({ method: 'POST', url: `${base}/screening/llm-runs`, headers: alice.auth, payload })

  // A full run: every record no human decided.
  const run = await runTask(await llmRun({ model: 'llama3:8b' }))
  t.equal(run.status, 'succeeded', run.error ?? '')
  t.match(run.result, {
    model: 'llama3:8b', stage: 'title_abstract', requested: 7, screened: 5, failed: 2, concurrency: 2,
    decisions: { include: 2, exclude: 2, maybe: 1 }, failures: { 'malformed-json': 1, 'invalid-answer': 1, timeout: 0, 'server-error': 0 }
  })
  t.same(run.result.errors.map((e: Json) => [e.articleId, e.kind]).sort(), [[byTitle('Broken').id, 'malformed-json'], [byTitle('Overconfident').id, 'invalid-answer']].sort())
  t.match(run.result.errors.find((e: Json) => e.kind === 'invalid-answer').message, /between 0 and 1/)
  const generated = ollama.requests.filter((r) => r.path === '/api/generate')
  t.equal(generated.length, 7)
  t.same(generated[0].body?.format, SCREENING_ANSWER_SCHEMA, 'answers are constrained by the JSON schema')
  t.match(generated[0].body?.prompt, /Does a chatbot build a therapeutic alliance\?[\s\S]*Population: adults with depression[\s\S]*Intervention \/ exposure: conversational agents/)
  t.notOk(generated.some((r) => String(r.body?.prompt).includes('Already screened')), 'a record a person decided is not sent')

  const llmDecisions = (await app.inject({ url: `${base}/decisions?source=llm`, headers: alice.auth })).json()
  t.equal(llmDecisions.length, 5)
  const include = llmDecisions.find((d: Json) => d.articleId === byTitle('Chatbot').id)
  t.match(include, { decision: 'include', probability: 0.92, model: 'llama3:8b', reviewerKind: 'llm', reviewerName: 'llama3:8b', source: 'llm', justification: /criteria/ })
  t.equal(include.reviewerId, run.result.reviewerId)
  t.notOk(llmDecisions.some((d: Json) => d.articleId === byTitle('Broken').id), 'nothing stored for a malformed answer')
  const records = (await app.inject({ url: `${base}/screening/records?stage=title_abstract&sort=createdAt`, headers: alice.auth })).json()
  t.equal(records.counts.awaiting, 7, 'LLM decisions never settle a record')
  t.equal(records.counts.excluded, 1)

  // Its probabilities order the queue until a model is trained.
  const next = (await app.inject({ url: `${base}/screening/next`, headers: alice.auth })).json()
  t.equal(next.rankedBy, 'llm')
  t.equal(next.score, 0.92)
  t.match(next.article.title, /\[include\]/)

  // The LLM reviewer appears in the agreement figures like any reviewer.
  await app.inject({ method: 'POST', url: `${base}/articles/${byTitle('Chatbot').id}/decisions`, headers: alice.auth, payload: { decision: 'include' } })
  await app.inject({ method: 'POST', url: `${base}/articles/${byTitle('Knee').id}/decisions`, headers: alice.auth, payload: { decision: 'include' } })
  const agreement = (await app.inject({ url: `${base}/screening/agreement`, headers: alice.auth })).json()
  t.same(agreement.reviewers.map((r: Json) => r.kind).sort(), ['human', 'llm'])
  t.match(agreement.cohen, { items: 2, percentAgreement: 50 })

  // A second run only sends what is left: the two records that failed (the others are screened by the model or by alice).
  const again = await runTask(await llmRun({ model: 'llama3' }))
  t.equal(again.status, 'failed', 'llama3:latest is not installed')
  t.match(again.error, /model "llama3:latest" is not installed[\s\S]*pull/)
  const retry = await runTask(await llmRun({ model: 'llama3:8b' }))
  t.equal(retry.result.requested, 2)

  // A profile's screening model, a custom template, explicit records; pulling the missing model first.
  const missing = await runTask(await llmRun({ profileId: 'fast-local', articleIds: [byTitle('An unclear').id] }))
  t.equal(missing.status, 'failed')
  t.match(missing.error, /phi3:mini.*not installed/)
  const pull = await runTask(await app.inject({ method: 'POST', url: '/api/llm/models/pull', headers: admin.auth, payload: { model: 'phi3:mini' } }), admin)
  t.equal(pull.status, 'succeeded', pull.error ?? '')
  t.match(pull.result, { model: 'phi3:mini', bytes: 4000 })
  t.equal(pull.progress, 1)
  const template = (await app.inject({ method: 'POST', url: '/api/prompts', headers: admin.auth, payload: { kind: 'screening', name: 'Terse', template: 'Screen for {{question}}: {{title}}' } })).json()
  const profiled = await runTask(await llmRun({ profileId: 'fast-local', templateId: template.id, articleIds: [byTitle('An unclear').id, byTitle('Insulin').id] }))
  t.equal(profiled.status, 'succeeded', profiled.error ?? '')
  t.match(profiled.result, { model: 'phi3:mini', requested: 2, screened: 2, templateId: template.id })
  const last = ollama.requests.filter((r) => r.path === '/api/generate').slice(-2)
  t.ok(last.every((r) => /^Screen for Does a chatbot/.test(String(r.body?.prompt))), 'the custom template was used')
  const models = (await app.inject({ url: '/api/llm/models', headers: alice.auth })).json()
  t.same(models.map((m: Json) => m.name).sort(), ['llama3:8b', 'phi3:mini'])

  // Time limits are per record, and concurrency is bounded by LLM_CONCURRENCY.
  const slow = await app.db.insert(articles).values([
    ...Array.from({ length: 4 }, (_, i) => ({ projectId: project.id, title: `Slow record ${i} [slow:300] [include]` })),
    { projectId: project.id, title: 'Too slow [slow:1500]' }
  ]).returning()
  const timed = await runTask(await llmRun({ model: 'llama3:8b', articleIds: slow.map((r) => r.id), concurrency: 8 }))
  t.match(timed.result, { concurrency: 2, screened: 4, failures: { timeout: 1 } })
  t.equal(ollama.maxGenerating(), 2, 'the model server had at most two records to answer at once')

  const unknownPull = await runTask(await app.inject({ method: 'POST', url: '/api/llm/models/pull', headers: admin.auth, payload: { model: 'no-such-model' } }), admin)
  t.equal(unknownPull.status, 'failed')
  t.match(unknownPull.error, /does not exist/)
  t.equal((await app.inject({ method: 'POST', url: '/api/llm/models/pull', headers: alice.auth, payload: { model: 'phi3:mini' } })).statusCode, 403)
  t.equal((await app.inject({ url: `/api/tasks/${pull.id}`, headers: alice.auth })).statusCode, 404, 'a pull is visible to whoever started it')

  // Bad input.
  const extraction = (await app.inject({ url: '/api/prompts?kind=extraction', headers: alice.auth })).json()[0]
  for (const [payload, status, field] of [
    [{}, 400, 'model'], [{ model: 'llama3:8b', profileId: 'fast-local' }, 400, 'profileId'], [{ profileId: 'nope' }, 404, 'profileId'],
    [{ model: 'llama3:8b', templateId: extraction.id }, 400, 'templateId'], [{ model: 'llama3:8b', articleIds: [otherArticle.id] }, 404, 'articleIds'],
    [{ model: 'llama3:8b', stage: 'abstract' }, 400, 'stage'], [{ model: 'llama3:8b', concurrency: 0 }, 400, 'concurrency'],
    [{ model: 'bad model name' }, 400, 'model'], [{ model: 'llama3:8b', articleIds: [] }, 400, 'articleIds']
  ] as const) {
    const res = await llmRun(payload)
    t.equal(res.statusCode, status, JSON.stringify(payload))
    t.match(res.json().field ?? res.json().message, field)
  }
  t.equal((await app.inject({ method: 'POST', url: `${base}/screening/llm-runs`, headers: outsider.auth, payload: { model: 'llama3:8b' } })).statusCode, 404)
  t.equal((await app.inject({ method: 'POST', url: '/api/llm/models/pull', headers: admin.auth, payload: {} })).statusCode, 400)
})

t.test('an unreachable Ollama fails the run with a clear message', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama()
  const closedUrl = ollama.baseUrl
  await ollama.close()
  const app = await build(t, { OLLAMA_BASE_URL: closedUrl })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Offline' } })).json()
  await app.db.insert(articles).values({ projectId: project.id, title: 'A record' })
  const res = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/screening/llm-runs`, headers: alice.auth, payload: { model: 'llama3:8b' } })
  t.equal(res.statusCode, 202)
  const task = await waitFor(async () => {
    const row = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: alice.auth })).json()
    return ['succeeded', 'failed'].includes(row.status) && row
  }, 30000)
  t.equal(task.status, 'failed')
  t.match(task.error, /cannot reach Ollama/)
  t.equal((await app.inject({ url: '/api/llm/models', headers: alice.auth })).statusCode, 502)
})
