import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, files, fullTextPages, fullTexts } from '../../src/db/schema.ts'
import { seedDatabase } from '../../src/db/seed.ts'
import { gridFields, type Grid } from '../../src/extraction/grid.ts'
import { extractionJsonSchema } from '../../src/extraction/llm.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, taskFinished, userWithToken, waitFor } from '../helper.ts'
import { trialGrid } from '../support/grids.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const FILLER = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. '

/** Stores an extracted full text for the article, as text extraction would (no PDF needed to read it). */
async function attachText(app: FastifyInstance, projectId: string, articleId: string, pages: string[], sections: object[] = []) {
  const [file] = await app.db.insert(files).values({
    projectId, storagePath: `fulltexts/${randomUUID()}.pdf`, originalName: 'paper.pdf', contentType: 'application/pdf', size: 1000,
    sha256: createHash('sha256').update(randomUUID()).digest('hex')
  }).returning()
  await app.db.insert(fullTexts).values({ fileId: file.id, projectId, status: 'ok', pageCount: pages.length, sections, extractorVersion: 'test' })
  await app.db.insert(fullTextPages).values(pages.map((text, i) => ({ fileId: file.id, projectId, page: i + 1, text })))
  await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, articleId))
}

/** The model's answer for one group of fields: what `byKey` says for each key the schema asks for, "not reported" otherwise. */
function answerFor(body: Record<string, unknown>, byKey: Record<string, object>): string {
  const keys = Object.keys((body.format as { properties: object }).properties)
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, byKey[k] ?? { value: null, not_reported: true, quote: '', page: 0 }])))
}

const TRIAL_ANSWER = {
  sample_size: { value: 120, not_reported: false, quote: 'We randomised 120 participants', page: 7 },
  design: { value: 'case series', not_reported: false, quote: 'a case series', page: 7 },
  blinded: { value: null, not_reported: true, quote: '', page: 0 },
  country: { value: 'France', not_reported: false, quote: 'recruited in Paris hospitals', page: 7 },
  outcomes: { value: [{ arm: 'app', n: 60 }], not_reported: false, quote: 'app arm: 60 completed', page: 8 }
}

t.test('LLM extraction: passages, verified and flagged quotes, provenance, failures per article, agreement with a human', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama({
    models: ['llama3:8b'],
    answer: ({ prompt, body }) => {
      if (prompt.includes('[malformed]')) return '{"sample_size": {"value": 12'
      return answerFor(body, prompt.includes('Chatbot trial') || prompt.includes('Quick') ? TRIAL_ANSWER : {})
    }
  })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl, LLM_CONCURRENCY: '2', OLLAMA_TIMEOUT_MS: '1000' })
  await seedDatabase(app.db, { adminEmail: 'admin@example.org' })
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'LLM extraction', question: 'Do chatbots build an alliance?' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  const other = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Other' } })).json()
  const api = `/api/projects/${project.id}`
  const call = (who: typeof owner, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: who.auth, ...(payload ? { payload } : {}) })

  const grid = (await call(owner, 'POST', '/grids', { definition: trialGrid([{ label: 'Country', type: 'text' }]) })).json()
  const rows = await app.db.insert(articles).values([
    { title: 'Chatbot trial', abstract: 'A trial of a chatbot for depression.' },
    { title: 'Broken answers [malformed]', abstract: '' },
    { title: 'Too slow [slow:1500]', abstract: '' },
    { title: 'Excluded at full text', abstract: '' },
    { title: 'Included without a full text', abstract: '' },
    ...Array.from({ length: 4 }, (_, i) => ({ title: `Quick study ${i} [slow:150]`, abstract: '' }))
  ].map((r, i) => ({ ...r, projectId: project.id, sourceIndex: i }))).returning()
  const [trial, broken, slow, excluded, noText, ...quick] = rows
  const [otherArticle] = await app.db.insert(articles).values({ projectId: other.id, title: 'Elsewhere' }).returning()

  // A long full text: the introduction alone is over the passage budget; the data are in the methods and results.
  const intro = Array.from({ length: 6 }, (_, i) => `Introduction page ${i + 1}. ${FILLER.repeat(12)}`)
  await attachText(app, project.id, trial.id, [
    ...intro,
    'Methods\n\nWe randomised 120 participants recruited in Lyon. The design is described in the protocol.',
    'Results\n\nIn the app arm: 60 completed the sample size target.',
    'References\n\n1. A sample size design paper.'
  ], [{ name: 'introduction', page: 1, offset: 0 }, { name: 'methods', page: 7, offset: 0 }, { name: 'results', page: 8, offset: 0 }, { name: 'references', page: 9, offset: 0 }])
  for (const a of [broken, slow, excluded, ...quick]) await attachText(app, project.id, a.id, [`Methods\n\nThe sample size of ${a.title}.`])
  for (const a of rows) {
    await call(owner, 'POST', `/articles/${a.id}/decisions`, { decision: 'include', stage: 'title_abstract' })
    const res = await call(owner, 'POST', `/articles/${a.id}/decisions`, { decision: a === excluded ? 'exclude' : 'include', stage: 'full_text', ...(a === excluded ? { reason: 'wrong design' } : {}) })
    t.equal(res.statusCode, 201, res.body)
  }

  // Bad requests: 4xx naming the problem, nothing started.
  const extractionTemplate = (await app.inject({ url: '/api/prompts?kind=screening', headers: owner.auth })).json()[0]
  for (const [payload, status, field, message] of [
    [{ gridId: grid.id }, 400, 'model', /profileId or model/],
    [{ gridId: grid.id, model: 'mistral:7b' }, 400, 'model', /"mistral:7b" is not installed.*pull/],
    [{ gridId: grid.id, profileId: 'fast-local' }, 400, 'profileId', /phi3:mini.*not installed/],
    [{ gridId: randomUUID(), model: 'llama3:8b' }, 404, 'gridId', /grid/],
    [{ gridId: grid.id, model: 'llama3:8b', templateId: extractionTemplate.id }, 400, 'templateId', /not an extraction one/],
    [{ gridId: grid.id, model: 'llama3:8b', articleIds: [otherArticle.id] }, 404, 'articleIds', /not found/],
    [{ gridId: grid.id, model: 'llama3:8b', temperature: 3 }, 400, 'temperature', /.*/],
    [{ gridId: grid.id, model: 'llama3:8b', fieldsPerGroup: 0 }, 400, 'fieldsPerGroup', /.*/]
  ] as const) {
    const res = await call(owner, 'POST', '/extraction/llm-runs', payload)
    t.equal(res.statusCode, status, `${JSON.stringify(payload)}: ${res.body}`)
    t.match(res.json().field ?? res.json().message, field)
    t.match(res.json().message, message)
  }
  t.equal((await call(owner, 'GET', '/extraction/llm-runs')).json().length, 0, 'nothing was started')
  const nothing = (await app.inject({ method: 'POST', url: `/api/projects/${other.id}/grids`, headers: owner.auth, payload: { definition: trialGrid([]) } })).json()
  const empty = await app.inject({ method: 'POST', url: `/api/projects/${other.id}/extraction/llm-runs`, headers: owner.auth, payload: { gridId: nothing.id, model: 'llama3:8b' } })
  t.equal(empty.statusCode, 409)
  t.match(empty.json(), { field: 'articleIds', message: /no article to extract/ })

  // The run: the default articles, three groups of fields each, at most two requests at once.
  const started = await call(owner, 'POST', '/extraction/llm-runs', { gridId: grid.id, model: 'llama3:8b', seed: 7, fieldsPerGroup: 2, concurrency: 8 })
  t.equal(started.statusCode, 202, started.body)
  const task = await taskFinished(app, owner.auth, started.json().id)
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.equal(task.progress, 1)
  t.equal(ollama.maxGenerating(), 2, 'never more than LLM_CONCURRENCY requests at once')
  t.match(task.result, {
    model: 'llama3:8b', digest: /^a6990ed6/, promptVersion: 'extraction-v1', gridVersion: 1, requested: 7, extracted: 5, failed: 2,
    failures: { 'malformed-json': 1, timeout: 1, 'server-error': 0 },
    options: { temperature: 0, seed: 7, fieldsPerGroup: 2, concurrency: 2 }
  })
  const outcome = (id: string) => task.result.articles.find((a: Json) => a.articleId === id)
  t.notOk(outcome(excluded.id) || outcome(noText.id), 'only records included at full text with an extracted text')
  t.match(outcome(broken.id), { status: 'failed', requests: 2, error: { kind: 'malformed-json', message: /not valid JSON.*after 2 attempts/ } })
  t.match(outcome(slow.id), { status: 'failed', error: { kind: 'timeout' } })
  t.match(outcome(trial.id), { status: 'extracted', text: 'full_text', fields: 5, values: 3, verified: 2, unverified: 1, notReported: 1, invalid: 1, requests: 3 })

  const generated = ollama.requests.filter((r) => r.path === '/api/generate')
  const trialRequests = generated.filter((r) => String(r.body?.prompt).includes('Chatbot trial'))
  t.equal(trialRequests.length, 3, 'one request per group of two fields')
  const fields = gridFields(grid.definition as Grid)
  t.same(trialRequests[0].body?.format, extractionJsonSchema(fields.slice(0, 2)), 'the answer is constrained by the group\'s JSON Schema')
  t.same(trialRequests[0].body?.options, { temperature: 0, seed: 7 })
  const first = String(trialRequests[0].body?.prompt)
  t.match(first, /\[page 7\]\nWe randomised 120 participants/, 'the relevant passage is sent, with its page')
  t.notMatch(first, /Introduction page 1/, 'not the beginning of the text')
  t.notMatch(first, /A sample size design paper/, 'nor the references')
  t.match(first, /sample_size: Sample size \(integer\)[\s\S]*design: Design \(single choice; one of: RCT \| cohort\)/)
  t.match(first, /"not_reported": true when the text does not report it/)

  // Stored under the model's own reviewer, with the run's provenance; quotes verified or flagged, invalid values kept flagged.
  const seen = (await call(owner, 'GET', `/articles/${trial.id}/extractions?gridId=${grid.id}`)).json()
  const llm = seen.extractions.find((e: Json) => e.reviewerKind === 'llm')
  t.match(llm, { status: 'complete', origin: 'llm', reviewerEmail: 'llama3-8b@llm.analylit.invalid', gridVersion: 1, run: { taskId: task.id, model: 'llama3:8b', digest: /^a6990ed6/, promptVersion: 'extraction-v1', gridVersion: 1, text: 'full_text' } })
  t.same(llm.values, {
    sample_size: { value: 120, quote: 'We randomised 120 participants', page: 7 },
    design: { value: null, invalidValue: 'case series', problem: 'design: must be one of ["RCT","cohort"]', quote: 'a case series', quoteUnverified: true },
    blinded: { value: null, notReported: true },
    country: { value: 'France', quote: 'recruited in Paris hospitals', quoteUnverified: true },
    outcomes: { value: [{ arm: 'app', n: 60 }], quote: 'app arm: 60 completed', page: 8 }
  })
  t.match(llm.run.problems, [/design: the model's value "case series" does not fit/])

  // The runs and a run's outcome per article.
  const runs = (await call(bob, 'GET', '/extraction/llm-runs')).json()
  t.match(runs, [{ id: task.id, status: 'succeeded', model: 'llama3:8b', digest: /^a6990ed6/, promptVersion: 'extraction-v1', gridVersion: 1, extracted: 5, failed: 2, requested: 7 }])
  const detail = (await call(bob, 'GET', `/extraction/llm-runs/${task.id}`)).json()
  t.equal(detail.articles.length, 7)
  t.equal((await call(bob, 'GET', `/extraction/llm-runs/${randomUUID()}`)).statusCode, 404)
  t.equal((await app.inject({ url: `/api/projects/${other.id}/extraction/llm-runs/${task.id}`, headers: owner.auth })).statusCode, 404, 'a run of another project')

  // A human extracts the same article: comparison and agreement LLM vs human, field by field.
  const human = { sample_size: { value: 120 }, design: { value: 'RCT' }, blinded: { value: false }, country: { value: 'france' }, outcomes: { value: [{ arm: 'app', n: 60 }] } }
  t.equal((await call(bob, 'PUT', `/articles/${trial.id}/extractions/mine`, { gridId: grid.id, status: 'complete', values: human })).statusCode, 200)
  const comparison = (await call(bob, 'GET', `/articles/${trial.id}/extractions/comparison?gridId=${grid.id}`)).json()
  t.same(comparison.reviewers.map((r: Json) => r.kind).sort(), ['human', 'llm'])
  t.same(comparison.fields.filter((f: Json) => !f.agree).map((f: Json) => f.key), ['design', 'blinded'])
  t.match(comparison.fields.find((f: Json) => f.key === 'country').values.find((v: Json) => v.reviewerId === llm.reviewerId).entry, { quoteUnverified: true })
  const agreement = (await call(owner, 'GET', `/extractions/agreement?gridId=${grid.id}`)).json()
  const pair = (key: string) => agreement.fields.find((f: Json) => f.key === key).pairs[0]
  t.same(agreement.reviewers.map((r: Json) => r.kind).sort(), ['human', 'llm'])
  t.match(pair('sample_size'), { items: 1, percentAgreement: 100 })
  t.match(pair('country'), { percentAgreement: 100 })
  t.match(pair('design'), { percentAgreement: 0 })

  // Accepting the model's values: the valid ones by default, with quotes, into one's own extraction.
  const accepted = await call(owner, 'POST', `/articles/${trial.id}/extractions/mine/accept-llm`, { gridId: grid.id })
  t.equal(accepted.statusCode, 200, accepted.body)
  t.match(accepted.json(), { status: 'draft', reviewerId: owner.user.id, origin: 'human' })
  t.same(accepted.json().values, {
    sample_size: { value: 120, quote: 'We randomised 120 participants', page: 7 }, blinded: { value: null, notReported: true },
    country: { value: 'France', quote: 'recruited in Paris hospitals' }, outcomes: { value: [{ arm: 'app', n: 60 }], quote: 'app arm: 60 completed', page: 8 }
  })
  const invalid = await call(owner, 'POST', `/articles/${trial.id}/extractions/mine/accept-llm`, { gridId: grid.id, fields: ['design'] })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json(), { field: 'fields', message: /does not fit its type/ })
  const carol = await userWithToken(app)
  await app.inject({ method: 'PUT', url: `${api}/members`, headers: owner.auth, payload: { email: carol.user.email, role: 'reviewer' } })
  const blind = await call(carol, 'POST', `/articles/${trial.id}/extractions/mine/accept-llm`, { gridId: grid.id })
  t.equal(blind.statusCode, 403, 'blind: a reviewer sees the model\'s values once her own extraction is complete')
  t.equal((await call(owner, 'POST', `/articles/${noText.id}/extractions/mine/accept-llm`, { gridId: grid.id })).statusCode, 404)

  // A second default run takes what is left: the two that failed.
  const again = await taskFinished(app, owner.auth, (await call(owner, 'POST', '/extraction/llm-runs', { gridId: grid.id, model: 'llama3:8b' })).json().id)
  t.match(again.result, { requested: 2, extracted: 0, failed: 2 })
  // Named articles may have no full text: the model reads the title and abstract.
  const abstractOnly = await taskFinished(app, owner.auth, (await call(owner, 'POST', '/extraction/llm-runs', { gridId: grid.id, model: 'llama3:8b', articleIds: [noText.id] })).json().id)
  t.match(abstractOnly.result.articles, [{ articleId: noText.id, status: 'extracted', text: 'abstract', notReported: 5 }])
})

t.test('cancelling an LLM extraction run stops it, keeping the articles stored so far', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama({ models: ['llama3:8b'], answer: ({ body }) => answerFor(body, { sample_size: { value: 10, not_reported: false, quote: 'ten', page: 1 } }) })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl, LLM_CONCURRENCY: '1' })
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Cancel' } })).json()
  const api = `/api/projects/${project.id}`
  const grid = (await app.inject({ method: 'POST', url: `${api}/grids`, headers: owner.auth, payload: { definition: trialGrid([]) } })).json()
  const rows = await app.db.insert(articles).values(Array.from({ length: 8 }, (_, i) => ({ projectId: project.id, title: `Study ${i} [slow:250]`, sourceIndex: i }))).returning()
  const started = await app.inject({ method: 'POST', url: `${api}/extraction/llm-runs`, headers: owner.auth, payload: { gridId: grid.id, model: 'llama3:8b', articleIds: rows.map((r) => r.id), fieldsPerGroup: 10 } })
  t.equal(started.statusCode, 202, started.body)
  const taskId = started.json().id
  await waitFor(async () => (await app.inject({ url: `${api}/extraction/llm-runs/${taskId}`, headers: owner.auth })).json().extracted >= 2, 20000)
  t.equal((await app.inject({ method: 'POST', url: `/api/tasks/${taskId}/cancel`, headers: owner.auth })).statusCode, 200)
  const task = await taskFinished(app, owner.auth, taskId)
  t.equal(task.status, 'cancelled')
  const sent = ollama.requests.filter((r) => r.path === '/api/generate').length
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.equal(ollama.requests.filter((r) => r.path === '/api/generate').length, sent, 'no request after the cancellation')
  const detail = (await app.inject({ url: `${api}/extraction/llm-runs/${taskId}`, headers: owner.auth })).json()
  t.equal(detail.status, 'cancelled')
  t.ok(detail.extracted >= 2 && detail.extracted < 8, `${detail.extracted} articles stored before the cancellation`)
  t.match(detail.articles[0], { status: 'extracted', text: 'abstract', verified: 0, unverified: 1 })
  t.match(detail, { model: 'llama3:8b', digest: /^a6990ed6/, promptVersion: 'extraction-v1' })
})
