import t from 'tap'
import { randomBytes } from 'node:crypto'
import { eq } from 'drizzle-orm'
import { articles, files, fullTextPages, fullTexts } from '../../src/db/schema.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

// Each article's text names its study ("ALPHA", …), so the stand-in model knows whose passages it reads.
const TEXTS: Record<string, string[]> = {
  ALPHA: [
    'ALPHA trial. Methods.\n\nParticipants were allocated by a computer-generated random sequence.',
    'Baseline characteristics were similar between groups.\n\nOutcomes were self-reported on a validated scale; all randomized participants were analysed.'
  ],
  BETA: ['BETA trial. Participants were randomised.'],
  GAMMA: ['GAMMA diagnostic accuracy study. Consecutive patients were enrolled.\n\nThe index test was read by radiologists who knew the biopsy result.'],
  DELTA: ['DELTA trial. The protocol was registered.']
}
const study = (prompt: string) => Object.keys(TEXTS).find((k) => prompt.includes(`${k} `))!
const domainOf = (prompt: string) => prompt.match(/^Domain (\w+):/m)![1]
const a = (answer: string, quote = '', page = 1) => ({ answer, quote, page, reason: '' })

/** The stand-in model's answers, per study and domain. */
function answer({ prompt }: { prompt: string }): string {
  const s = study(prompt); const d = domainOf(prompt)
  if (s === 'ALPHA') {
    return JSON.stringify({
      D1: { 1.1: a('Y', 'allocated by a computer-generated random  sequence', 9), 1.2: a('NI', 'allocation was concealed in sealed envelopes'), 1.3: a('N', 'Baseline characteristics were similar between groups.'), judgement: 'low' },
      // 2.3 does not apply (N to 2.1 and 2.2): its answer is dropped.
      D2: { 2.1: a('N'), 2.2: a('N'), 2.3: a('Y'), 2.4: a('NA'), 2.5: a('NA'), 2.6: a('Y', 'all randomized participants were analysed'), 2.7: a('NA') },
      D3: { 3.1: a('Y'), 3.2: a('NA'), 3.3: a('NA'), 3.4: a('NA') },
      D4: { 4.1: a('N'), 4.2: a('N'), 4.3: a('N'), 4.4: a('NA'), 4.5: a('NA') },
      D5: { 5.1: a('Y'), 5.2: a('N'), 5.3: a('N'), overall: 'low', risk_of_bias: 'low' }
    }[d])
  }
  if (s === 'BETA') return JSON.stringify({ 1.1: a('maybe'), 1.2: a('Y'), 1.3: a('N') })
  if (s === 'DELTA') return d === 'D3' ? '{"3.1": {"answer": "Y", "quo' : JSON.stringify({ judgement: 'low' })
  // GAMMA, QUADAS-2: D1 all yes → low; D2 one no → high; D3 one unclear → unclear; D4 all yes → low.
  return JSON.stringify({
    D1: { 1.1: a('Y', 'Consecutive patients were enrolled.'), 1.2: a('Y'), 1.3: a('Y') },
    D2: { 2.1: a('N', 'read by radiologists who knew the biopsy result'), 2.2: a('Y') },
    D3: { 3.1: a('Y'), 3.2: a('NI') },
    D4: { 4.1: a('Y'), 4.2: a('Y'), 4.3: a('Y'), 4.4: a('Y') },
    A1: { reported: 'Consecutive adults referred for biopsy.', quote: 'Consecutive patients were enrolled.', page: 1 },
    A2: { reported: 'Radiologists read the index test.', quote: 'not in the text', page: 1 },
    A3: { reported: '', quote: '', page: 1 }
  }[d])
}

t.test('LLM-assisted risk of bias: answers with verified quotes, judgements by the algorithm, beside the humans\'', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama({ models: ['llama3:8b'], answer })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl, LLM_CONCURRENCY: '2' })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'LLM RoB' } })).json()
  const base = `/api/projects/${project.id}`
  const rows = await app.db.insert(articles).values(['ALPHA', 'BETA', 'GAMMA', 'DELTA', 'EPSILON'].map((title, i) => ({
    projectId: project.id, title: `${title} study`, year: 2020 + i, authors: [{ family: title[0] + title.slice(1).toLowerCase() }]
  }))).returning()
  const id = (title: string) => rows.find((r) => r.title.startsWith(title))!.id
  for (const [key, pages] of Object.entries(TEXTS)) {
    const [file] = await app.db.insert(files).values({ projectId: project.id, storagePath: `x/${key}`, originalName: `${key}.pdf`, contentType: 'application/pdf', size: 1, sha256: randomBytes(32).toString('hex') }).returning()
    await app.db.insert(fullTexts).values({ fileId: file!.id, projectId: project.id, status: 'ok', pageCount: pages.length, extractorVersion: 'test' })
    await app.db.insert(fullTextPages).values(pages.map((text, i) => ({ fileId: file!.id, projectId: project.id, page: i + 1, text })))
    await app.db.update(articles).set({ fullTextFileId: file!.id }).where(eq(articles.id, id(key)))
  }
  const start = (tool: string, payload: Json) => app.inject({ method: 'POST', url: `${base}/rob/${tool}/llm-runs`, headers: alice.auth, payload })
  const run = async (tool: string, payload: Json) => {
    const res = await start(tool, payload)
    t.equal(res.statusCode, 202, res.body)
    return taskFinished(app, alice.auth, res.json().id)
  }

  await t.test('bad requests name the problem and start nothing', async (t) => {
    const unknownTool = await start('rob3', { model: 'llama3:8b' })
    t.equal(unknownTool.statusCode, 400)
    t.match(unknownTool.json(), { field: 'tool', message: /unknown risk-of-bias tool "rob3".*quadas-2/ })
    const unknownModel = await start('rob2', { model: 'mistral:7b', articleIds: [id('ALPHA')] })
    t.equal(unknownModel.statusCode, 400)
    t.match(unknownModel.json(), { field: 'model', message: /"mistral:7b" is not installed.*llama3:8b/ })
    const nothing = await start('rob2', { model: 'llama3:8b' })
    t.equal(nothing.statusCode, 400, 'nothing is included at full text yet')
    t.match(nothing.json(), { field: 'articleIds', message: /none is included at full text/ })
    const noText = await start('rob2', { model: 'llama3:8b', articleIds: [id('EPSILON')] })
    t.equal(noText.statusCode, 400)
    t.match(noText.json(), { field: 'articleIds', message: /extracted full text/ })
    t.equal((await start('quadas-2', { model: 'llama3:8b', outcome: 'pain', articleIds: [id('GAMMA')] })).json().field, 'outcome')
    t.same((await app.inject({ url: `${base}/rob/llm-runs`, headers: alice.auth })).json(), [])
  })

  let llmId = ''
  await t.test('RoB 2: the algorithm judges the model\'s answers; quotes verified or flagged; bad answers left for a person', async (t) => {
    const task = await run('rob2', { model: 'llama3:8b', outcome: 'depression', articleIds: [id('ALPHA'), id('BETA'), id('DELTA'), id('EPSILON')], options: { seed: 7 } })
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.equal(task.progress, 1)
    const r = task.result
    t.match(r, { tool: 'rob2', model: 'llama3:8b', digest: /^[0-9a-f]{64}$/, promptVersion: 'rob-llm-v1', options: { temperature: 0, seed: 7 }, outcome: 'depression', requested: 4, assessed: 3, complete: 1, drafts: 2, failed: 1 })
    t.same(r.errors, [{ articleId: id('EPSILON'), kind: 'no-full-text', message: 'the article has no extracted full text' }], 'an article without text is an error of the result, not of the run')
    llmId = r.reviewerId
    const generated = ollama.requests.filter((q) => q.path === '/api/generate')
    t.equal(generated.length, 3 * 5, 'one request per domain per article')
    const d1 = generated.find((q) => String(q.body?.prompt).startsWith('Domain D1') && String(q.body?.prompt).includes('ALPHA'))!
    t.same(Object.keys((d1.body!.format as Json).properties), ['1.1', '1.2', '1.3'], 'the domain\'s questions as a JSON schema')
    t.same((d1.body!.format as Json).properties['1.1'].properties.answer.enum, ['Y', 'PY', 'PN', 'N', 'NI'])
    t.match(d1.body!.prompt, /Result assessed: depression[\s\S]*\[page 1\] ALPHA trial/)
    t.same(d1.body!.options, { temperature: 0, seed: 7 })

    const alpha = (await app.inject({ url: `${base}/articles/${id('ALPHA')}/rob/rob2`, headers: alice.auth })).json()[0]
    t.match(alpha, { kind: 'reviewer', reviewerId: llmId, reviewerEmail: 'llama3-8b@llm.analylit.invalid', status: 'complete', model: 'llama3:8b', outcome: 'depression' })
    t.match(alpha.run, { taskId: task.id, model: 'llama3:8b', promptVersion: 'rob-llm-v1', options: { seed: 7 } })
    t.same(alpha.derived.domains.map((d: Json) => d.judgement), ['some concerns', 'low', 'low', 'low', 'low'], '1.2 NI, 1.3 N → some concerns')
    t.same(alpha.derived.domains[0].path, ['1.2 = NI', '1.3 = N', '→ some concerns'])
    t.equal(alpha.derived.overall.judgement, 'some concerns', 'the model said "low"; its verdict is ignored')
    t.equal(alpha.answers['2.3'], 'NA', 'an answer to a question that does not apply is dropped')
    t.same(alpha.support['1.1'], { quote: 'allocated by a computer-generated random  sequence', page: 1, quoteVerified: true }, 'found in the text: the page is where it is, not what the model said')
    t.same(alpha.support['1.2'], { quote: 'allocation was concealed in sealed envelopes', quoteVerified: false })
    t.same(alpha.support['2.6'], { quote: 'all randomized participants were analysed', page: 2, quoteVerified: true })
    t.same(alpha.run.problems, ['1.2: quote not found in the full text'])

    const beta = (await app.inject({ url: `${base}/articles/${id('BETA')}/rob/rob2`, headers: alice.auth })).json()[0]
    t.match(beta, { status: 'draft', derived: null })
    t.notOk('1.1' in beta.answers, 'an answer that is not one of the tool\'s is not stored')
    t.match(beta.run.problems, [/1\.1: "maybe" is not an answer of this question/])
    const delta = r.articles.find((x: Json) => x.articleId === id('DELTA'))
    t.match(delta, { status: 'draft', overall: null })
    t.ok(delta.problems.includes('1.1: not answered'))
    t.notOk(delta.problems.includes('2.3: not answered'), 'a question that does not apply is not asked for')
    t.ok(delta.problems.includes('D3: the model\'s answer is not a JSON object'))
    // DELTA: the 12 questions that apply whatever the other answers are unanswered (a conditional one applies only once its condition is answered), D3 malformed.
    t.equal(delta.problems.length, 13)
    t.equal(r.invalidAnswers, r.articles.flatMap((x: Json) => x.problems).length - r.unverifiedQuotes)
    t.equal(r.unverifiedQuotes, 1)
    const runs = (await app.inject({ url: `${base}/rob/llm-runs?tool=rob2`, headers: alice.auth })).json()
    t.same(runs.map((x: Json) => x.id), [task.id])
  })

  await t.test('the compare route puts the model beside a person', async (t) => {
    const human = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
    const saved = await app.inject({ method: 'PUT', url: `${base}/articles/${id('ALPHA')}/rob/rob2/mine`, headers: alice.auth, payload: { status: 'complete', outcome: 'depression', answers: human } })
    t.equal(saved.statusCode, 200, saved.body)
    const cmp = await app.inject({ url: `${base}/articles/${id('ALPHA')}/rob/rob2/compare?outcome=depression&a=${alice.user.id}&b=${llmId}`, headers: alice.auth })
    t.equal(cmp.statusCode, 200, cmp.body)
    t.match(cmp.json(), { a: { reviewerId: alice.user.id }, b: { reviewerId: llmId, reviewerEmail: 'llama3-8b@llm.analylit.invalid' }, overall: { a: 'low', b: 'some concerns', agree: false } })
    t.same(cmp.json().conflicts, ['1.2', 'D1', 'overall'])
  })

  await t.test('QUADAS-2: domains by the published rule, applicability left to the reviewer, robvis figures', async (t) => {
    // The default articles: included at full text with an extracted text.
    for (const stage of ['title_abstract', 'full_text']) {
      const res = await app.inject({ method: 'POST', url: `${base}/articles/${id('GAMMA')}/decisions`, headers: alice.auth, payload: { decision: 'include', stage } })
      t.equal(res.statusCode, 201, res.body)
    }
    const task = await run('quadas-2', { model: 'llama3:8b' })
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { tool: 'quadas-2', requested: 1, complete: 1, unverifiedQuotes: 1 })
    const gamma = (await app.inject({ url: `${base}/articles/${id('GAMMA')}/rob/quadas-2`, headers: alice.auth })).json()[0]
    t.same(gamma.derived.domains.map((d: Json) => [d.id, d.judgement]), [['D1', 'low'], ['D2', 'high'], ['D3', 'unclear'], ['D4', 'low']], 'applicability concerns are not judged by the model')
    t.match(gamma.derived.domains[1].path.join(' '), /flags potential for bias: high proposed/)
    t.equal(gamma.derived.overall.judgement, 'high')
    t.same(gamma.judgements, {})
    t.same(gamma.support.A1, { text: 'Consecutive adults referred for biopsy.', quote: 'Consecutive patients were enrolled.', page: 1, quoteVerified: true })
    t.equal(gamma.support.A2.quoteVerified, false)
    t.notOk('A3' in gamma.support, 'nothing reported, nothing stored')
    const prompt = ollama.requests.find((q) => String(q.body?.prompt).startsWith('Domain D2') && String(q.body?.prompt).includes('GAMMA'))!
    t.same((prompt.body!.format as Json).properties['2.1'].properties.answer.enum, ['Y', 'N', 'NI'])
    t.match(prompt.body!.system, /NI \(unclear\)/)

    // A person completes it with the applicability concerns; the figures use the risk-of-bias domains.
    const human = await app.inject({
      method: 'PUT', url: `${base}/articles/${id('GAMMA')}/rob/quadas-2/mine`, headers: alice.auth,
      payload: { status: 'complete', answers: { ...gamma.answers, 2.1: 'Y' }, judgements: { A1: 'low', A2: 'high', A3: 'unclear' }, overrides: { D3: { judgement: 'low', reason: 'biopsy is the reference standard' } } }
    })
    t.equal(human.statusCode, 200, human.body)
    t.same(human.json().derived.domains.map((d: Json) => [d.id, d.judgement]), [['D1', 'low'], ['D2', 'low'], ['D3', 'low'], ['D4', 'low'], ['A1', 'low'], ['A2', 'high'], ['A3', 'unclear']])
    t.equal(human.json().derived.overall.judgement, 'low', 'applicability concerns stay out of the overall judgement')
    const cmp = (await app.inject({ url: `${base}/articles/${id('GAMMA')}/rob/quadas-2/compare?a=${alice.user.id}&b=${llmId}`, headers: alice.auth })).json()
    t.same(cmp.domains.map((d: Json) => [d.id, d.a, d.b]), [['D1', 'low', 'low'], ['D2', 'low', 'high'], ['D3', 'low', 'unclear'], ['D4', 'low', 'low'], ['A1', 'low', 'not judged'], ['A2', 'high', 'not judged'], ['A3', 'unclear', 'not judged']])
    const bad = await app.inject({ method: 'PUT', url: `${base}/articles/${id('GAMMA')}/rob/quadas-2/mine`, headers: alice.auth, payload: { status: 'complete', answers: gamma.answers, judgements: { D1: 'low' } } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { field: 'judgements/D1', message: /derives domain judgements/ })
    const table = (await app.inject({ url: `${base}/rob/quadas-2/table?reviewer=${llmId}`, headers: alice.auth })).json()
    t.same(table.rows.map((r: Json) => [r.study, r.overall]), [['Gamma 2022', 'high']])
    const light = await app.inject({ url: `${base}/rob/quadas-2/traffic-light.svg?reviewer=${llmId}`, headers: alice.auth })
    t.equal(light.statusCode, 200)
    const cells = [...light.body.matchAll(/<circle class="judgement"[^>]*data-domain="([^"]+)"[^>]*data-judgement="([^"]+)"/g)].map((m) => [m[1], m[2]])
    t.same(cells, [['D1', 'low'], ['D2', 'high'], ['D3', 'unclear'], ['D4', 'low'], ['overall', 'high']])
    t.match(light.body, 'D4: Flow and timing.')
    t.notMatch(light.body, 'Applicability')
    const summary = await app.inject({ url: `${base}/rob/quadas-2/summary.svg`, headers: alice.auth })
    t.equal(summary.statusCode, 200)
    t.match(summary.body, /Patient selection/)
  })

  await t.test('RoB 1: no algorithm, so the model reports per domain and the judgement is left to a person', async (t) => {
    const task = await run('rob1', { model: 'llama3:8b', articleIds: [id('ALPHA')] })
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { complete: 0, drafts: 1 })
    const mine = (await app.inject({ url: `${base}/articles/${id('ALPHA')}/rob/rob1`, headers: alice.auth })).json()[0]
    t.match(mine, { status: 'draft', derived: null, judgements: {}, reviewerId: llmId })
  })
})
