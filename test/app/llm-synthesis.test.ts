import t from 'tap'
import { articles } from '../../src/db/schema.ts'
import { SYNTHESIS_PROMPT_VERSION } from '../../src/llm/synthesis-prompt.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const grid = {
  name: 'Outcomes',
  sections: [{ title: 'Study', fields: [
    { key: 'design', label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] },
    { key: 'n', label: 'Participants', type: 'integer' },
    { key: 'main_result', label: 'Main result', type: 'text' }
  ] }]
}

t.test('grounded LLM synthesis: keys resolved, invented keys and uncited sentences flagged, provenance, versions, French', { skip: needsServices }, async (t) => {
  // The model's answer: for a summary, two sentences with the study's key; for a section, valid keys, an invented one and a sentence citing nothing.
  const ollama = await startFakeOllama({
    models: ['llama3:8b'],
    answer: ({ prompt }) => {
      const summary = /with the study's key \[([^\]]+)\]/.exec(prompt)
      if (summary) return `A trial of chatbots [${summary[1]}]. Adherence improved [${summary[1]}].`
      if (/narrative synthesis/.test(prompt)) {
        return '## Main themes\n\nChatbots support adherence (Smith et al. 2020, e.g. in adults) [Smith2020a; Lee2019]. ' +
          'One cohort found no effect [Smith2020b]. Costs fell sharply [Doe2018]. Everyone agrees that chatbots work.'
      }
      return 'The trials converge on adherence [Lee2019; Smith2020a]. Longer follow-up is needed [Smith2020b].'
    }
  })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl })
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const viewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Synthesis', question: 'Do chatbots improve adherence?' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  const api = `/api/projects/${project.id}`
  const call = (who: { auth: { authorization: string } }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: who.auth, ...(payload ? { payload } : {}) })

  await t.test('refused before any task: no included study, then a model the server does not have', async (t) => {
    const none = await call(owner, 'POST', '/syntheses', { model: 'llama3:8b' })
    t.equal(none.statusCode, 400)
    t.match(none.json(), { field: 'articles', message: /no included studies/ })
    t.equal((await call(viewer, 'POST', '/syntheses', { model: 'llama3:8b' })).statusCode, 403, 'viewers cannot generate')
  })

  const rows = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot trial in adults', year: 2020, authors: [{ family: 'Smith', given: 'Anna' }], abstract: 'A randomised trial.' },
    { projectId: project.id, title: 'Cohort of app users', year: 2020, authors: [{ family: 'Smith', given: 'Bob' }], abstract: 'A cohort.' },
    { projectId: project.id, title: 'Conversational agents and adherence', year: 2019, authors: [{ family: 'Lee' }], abstract: 'Another trial.' },
    { projectId: project.id, title: 'Excluded record', year: 2018, authors: [{ family: 'Doe' }] }
  ]).returning()
  const [smithA, smithB, lee, doe] = rows
  for (const a of [smithA, smithB, lee]) await call(owner, 'POST', `/articles/${a.id}/decisions`, { decision: 'include' })
  await call(owner, 'POST', `/articles/${doe.id}/decisions`, { decision: 'exclude' })
  const gridId = (await call(owner, 'POST', '/grids', { definition: grid })).json().id
  t.equal((await call(owner, 'PUT', `/articles/${smithA.id}/extractions/consensus`, { gridId, values: { design: { value: 'RCT' }, n: { value: 120 }, main_result: { value: 'adherence +12%' } } })).statusCode, 200)
  t.equal((await call(bob, 'PUT', `/articles/${lee.id}/extractions/mine`, { gridId, status: 'complete', values: { design: { value: 'RCT' }, n: { value: 80 }, main_result: { notReported: true } } })).statusCode, 200)

  let first: Json = {}
  t.test('a draft: keys resolved to articles, an invented key and an uncited sentence flagged, provenance stored', async (t) => {
    const missing = await call(owner, 'POST', '/syntheses', { model: 'mistral' })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { field: 'model', message: /mistral:latest" is not installed/ })

    const res = await call(bob, 'POST', '/syntheses', { model: 'llama3:8b', temperature: 0, seed: 7 })
    t.equal(res.statusCode, 202, res.body)
    const task = await taskFinished(app, bob.auth, res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { version: 1, studies: 3, strategy: 'direct', flags: { uncited: 1, unknownKeys: 1 } })
    t.equal(task.progress, 1)

    const list = (await call(viewer, 'GET', '/syntheses')).json()
    t.match(list, [{ version: 1, language: 'en', model: 'llama3:8b', studies: 3, flags: { uncited: 1, unknownKeys: 1 } }])
    first = (await call(viewer, 'GET', `/syntheses/${list[0].id}`)).json()
    t.same(Object.fromEntries(Object.entries(first.citationKeys).map(([k, v]) => [k, (v as Json).articleId])), { Lee2019: lee.id, Smith2020a: smithA.id, Smith2020b: smithB.id }, 'each key maps to its included article')
    t.match(first, {
      model: 'llama3:8b', modelDigest: 'a6990ed6be412c6a217614b0ec8e9cd6800a743d5dd7e1d7fbe9df09e61d5615', promptVersion: SYNTHESIS_PROMPT_VERSION,
      options: { temperature: 0, seed: 7, strategy: 'direct' }
    })
    const synthesis = first.sections.find((s: Json) => s.name === 'synthesis')
    t.same(synthesis.sentences.map((s: Json) => [s.text.slice(0, 24), s.keys, s.unknownKeys, s.uncited]), [
      ['## Main themes', [], [], false],
      ['Chatbots support adherenc', ['Smith2020a', 'Lee2019'], [], false],
      ['One cohort found no effec', ['Smith2020b'], [], false],
      ['Costs fell sharply [Doe2', [], ['Doe2018'], false],
      ['Everyone agrees that cha', [], [], true]
    ].map(([text, ...rest]) => [String(text).slice(0, 24), ...rest]), 'the invented key (an excluded record) and the uncited sentence are flagged; "et al." and "e.g." do not split')
    t.notOk(first.sections.find((s: Json) => s.name === 'discussion').sentences.some((s: Json) => s.uncited || s.unknownKeys.length), 'the discussion cites correctly')

    // The exact input: each study with its key, its extracted data and where it came from.
    const studies = Object.fromEntries(first.input.studies.map((s: Json) => [s.key, s]))
    t.same(studies.Smith2020a.extraction, [{ grid: 'Outcomes', source: 'consensus', values: { Design: 'RCT', Participants: '120', 'Main result': 'adherence +12%' } }])
    t.match(studies.Lee2019.extraction, [{ source: /no consensus: .*complete extraction/, values: { 'Main result': 'not reported' } }])
    t.same(studies.Smith2020b.extraction, [], 'no extraction: the abstract is sent')
    t.notOk(studies.Doe2018, 'an excluded record is not sent')
    const sent = ollama.requests.filter((r) => r.path === '/api/generate')
    t.equal(sent.length, 2)
    t.same(first.input.prompts.map((p: Json) => p.prompt), sent.map((r) => r.body?.prompt), 'the prompts stored are those sent')
    t.match(sent[0].body, { options: { temperature: 0, seed: 7 }, prompt: /Do chatbots improve adherence\?[\s\S]*Write in English[\s\S]*\[Smith2020a\] Chatbot trial in adults[\s\S]*Main result: adherence \+12%/ })
    t.match(sent[0].body?.prompt, /Use only these keys: Lee2019, Smith2020a, Smith2020b\./)
  })

  t.test('regenerating in French makes a new version and keeps the first; long inputs are summarised per study first', async (t) => {
    const before = ollama.requests.length
    const res = await call(owner, 'POST', '/syntheses', { model: 'llama3:8b', language: 'fr', maxInputChars: 1000 })
    t.equal(res.statusCode, 202, res.body)
    const task = await taskFinished(app, owner.auth, res.json().id)
    t.equal(task.status, 'succeeded', task.error ?? '')
    t.match(task.result, { version: 2, strategy: 'direct' })
    const sent = ollama.requests.slice(before).filter((r) => r.path === '/api/generate')
    t.ok(sent.every((r) => /Write in French/.test(String(r.body?.prompt))), 'the prompts ask for French')

    // Enough text to pass the limit: every study summarised first, the summaries sent.
    await app.db.insert(articles).values({ projectId: project.id, title: 'Long report', year: 2021, authors: [{ family: 'Kim' }], abstract: 'Words '.repeat(300) }).returning()
      .then(([a]) => call(owner, 'POST', `/articles/${a.id}/decisions`, { decision: 'include' }))
    const long = await taskFinished(app, owner.auth, (await call(owner, 'POST', '/syntheses', { model: 'llama3:8b', maxInputChars: 1000 })).json().id)
    t.equal(long.status, 'succeeded', long.error ?? '')
    t.match(long.result, { version: 3, studies: 4, strategy: 'summarise-first' })
    const draft = (await call(owner, 'GET', `/syntheses/${long.result.draftId}`)).json()
    t.same(Object.keys(draft.input.summaries).sort(), ['Kim2021', 'Lee2019', 'Smith2020a', 'Smith2020b'])
    t.equal(draft.input.prompts.length, 6, 'four summaries, then the two sections')
    t.notMatch(draft.input.prompts[4].prompt, /Words Words/, 'the section prompts carry the summaries, not the long text')
    t.match(draft.input.prompts[4].prompt, /\[Kim2021\] Long report \(2021\)\nA trial of chatbots \[Kim2021\]/)

    const list = (await call(owner, 'GET', '/syntheses')).json()
    t.same(list.map((d: Json) => [d.version, d.language]), [[3, 'en'], [2, 'fr'], [1, 'en']], 'earlier versions are kept')
    const again = (await call(owner, 'GET', `/syntheses/${first.id}`)).json()
    t.same(again.sections, first.sections, 'version 1 is unchanged')
    t.equal((await call(owner, 'GET', '/syntheses/00000000-0000-4000-8000-000000000000')).statusCode, 404)
  })
})
