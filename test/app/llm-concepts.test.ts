import t from 'tap'
import { eq } from 'drizzle-orm'
import { articles, files, fullTextPages, fullTexts } from '../../src/db/schema.ts'
import { CONCEPT_PROMPT_VERSION } from '../../src/llm/concept-prompt.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

t.test('LLM concepts: normalised, traced to studies and quotes, invented quotes flagged, failures reported, graph enriched', { skip: needsServices }, async (t) => {
  // The model's answer per study, chosen by the study's title in the prompt.
  const ollama = await startFakeOllama({
    models: ['llama3:8b'],
    answer: ({ prompt }) => {
      if (prompt.includes('Chatbot trial in adults')) {
        return JSON.stringify({ concepts: [
          { concept: 'Chatbots', quote: 'chatbot   delivered' }, { concept: 'chatbot', quote: 'Chatbot trial' },
          { concept: 'Medication Adherence', quote: 'patients took their pills' }, { concept: 'Reminders', quote: 'delivered reminders' }, { concept: 'Blockchain', quote: 'a blockchain ledger' }
        ] })
      }
      if (prompt.includes('Conversational agents')) {
        return JSON.stringify({ concepts: [
          { concept: 'chatbot', quote: 'conversational agents (chatbots)' }, { concept: 'medication adherence', quote: 'RCT' },
          { concept: 'pedometer', quote: 'participants wore a\npedometer' }
        ] })
      }
      if (prompt.includes('Broken answer')) return '{"concepts": [{"concept": "cut'
      return undefined
    }
  })
  t.teardown(() => ollama.close())
  const app = await build(t, { OLLAMA_BASE_URL: ollama.baseUrl })
  const owner = await userWithToken(app)
  const viewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Concepts', question: 'Do chatbots improve adherence?' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  const api = `/api/projects/${project.id}`
  const call = (who: { auth: { authorization: string } }, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: who.auth, ...(payload ? { payload } : {}) })

  const none = await call(owner, 'POST', '/concepts/llm', { model: 'llama3:8b' })
  t.equal(none.statusCode, 400, 'no included study: refused before any task')
  t.match(none.json(), { field: 'articles', message: /no included studies/ })
  t.equal((await call(owner, 'GET', '/concepts/llm')).statusCode, 404, 'no run yet')

  const [trial, agents, broken, excluded] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot trial in adults', year: 2020, authors: [{ family: 'Smith' }], abstract: 'A chatbot delivered reminders; adherence improved.', data: { keywords: ['Chatbots', 'Adherence'] } },
    { projectId: project.id, title: 'Conversational agents', year: 2019, authors: [{ family: 'Lee' }], abstract: 'We reviewed conversational agents (chatbots) for adherence.', data: { keywords: ['chatbot'] } },
    { projectId: project.id, title: 'Broken answer', year: 2021, authors: [{ family: 'Kim' }], abstract: 'A cohort.' },
    { projectId: project.id, title: 'Excluded record', year: 2018, authors: [{ family: 'Doe' }], abstract: 'Not relevant.' }
  ]).returning()
  for (const a of [trial, agents, broken]) await call(owner, 'POST', `/articles/${a.id}/decisions`, { decision: 'include' })
  // An extracted full text for one study: its passages are sent, and a quote from them is found on its page.
  const [file] = await app.db.insert(files).values({ projectId: project.id, storagePath: 'x.pdf', originalName: 'x.pdf', size: 1, sha256: 'x' }).returning()
  await app.db.insert(fullTexts).values({ fileId: file.id, projectId: project.id, status: 'ok', pageCount: 1, extractorVersion: 'test' })
  await app.db.insert(fullTextPages).values({ fileId: file.id, projectId: project.id, page: 1, text: 'Conversational agents and adherence: participants wore a pedometer.' })
  await app.db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, agents.id))
  await call(owner, 'POST', `/articles/${excluded.id}/decisions`, { decision: 'exclude' })

  const missing = await call(owner, 'POST', '/concepts/llm', { model: 'mistral' })
  t.equal(missing.statusCode, 400)
  t.match(missing.json(), { field: 'model', message: /"mistral:latest" is not installed/ })
  t.equal((await call(viewer, 'POST', '/concepts/llm', { model: 'llama3:8b' })).statusCode, 403, 'viewers cannot start a run')
  t.equal((await call(owner, 'POST', '/concepts/llm', { model: 'llama3:8b', maxConcepts: 0 })).statusCode, 400, 'maxConcepts below 1 refused')

  const res = await call(owner, 'POST', '/concepts/llm', { model: 'llama3:8b', seed: 7 })
  t.equal(res.statusCode, 202, res.body)
  t.equal(res.json().type, 'llm-concepts')
  const task = await taskFinished(app, owner.auth, res.json().id)
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result, {
    model: 'llama3:8b', promptVersion: CONCEPT_PROMPT_VERSION, requested: 3, read: 2, failed: 1, failures: { 'malformed-json': 1 },
    errors: [{ articleId: broken.id, kind: 'malformed-json' }], concepts: 3, flagged: 3
  })
  const sent = ollama.requests.filter((r) => r.path === '/api/generate')
  t.equal(sent.length, 3, 'one request per included study, none for the excluded record')
  t.match(sent.find((r) => String(r.body?.prompt).includes('Chatbot trial'))?.body, {
    model: 'llama3:8b', options: { temperature: 0, seed: 7 }, format: { required: ['concepts'] }, prompt: /Review question: Do chatbots improve adherence\?/
  })

  const run: Json = (await call(viewer, 'GET', '/concepts/llm')).json()
  t.match(run, { model: 'llama3:8b', modelDigest: /^a6990ed6/, promptVersion: CONCEPT_PROMPT_VERSION, options: { seed: 7, maxConcepts: 12 }, taskId: task.id })
  t.match(run.failures, [{ articleId: broken.id, kind: 'malformed-json' }])
  const trialConcepts = run.studies.find((s: Json) => s.articleId === trial.id).concepts
  t.same(trialConcepts.map((c: Json) => [c.key, c.flagged]), [['chatbot', false], ['medication adherence', true], ['reminder', false], ['blockchain', true]],
    'case and plurals merged; a concept whose quote is not in the text is flagged')
  t.same(trialConcepts[0].quotes, [{ text: 'chatbot   delivered', found: true, page: 0 }, { text: 'Chatbot trial', found: true, page: 0 }], 'both quotes of the merged concept kept')
  const agentsRead = run.studies.find((s: Json) => s.articleId === agents.id)
  t.equal(agentsRead.text, 'full_text')
  t.same(agentsRead.concepts.find((c: Json) => c.key === 'pedometer').quotes, [{ text: 'participants wore a\npedometer', found: true, page: 1 }], 'a quote from the full text found on its page')
  t.match(sent.find((r) => String(r.body?.prompt).includes('Conversational agents'))?.body?.prompt, /Full text, page 1:\nConversational agents and adherence: participants wore a pedometer\./)
  const chatbot = run.concepts.find((c: Json) => c.key === 'chatbot')
  t.same(chatbot.studies.map((s: Json) => s.articleId).sort(), [trial.id, agents.id].sort(), 'a concept traced to the studies it came from')
  t.match(run.concepts.find((c: Json) => c.key === 'medication adherence'), { flaggedIn: 2 })

  const plain = (await call(viewer, 'GET', '/concepts?set=included')).json()
  t.notOk(plain.nodes.some((n: Json) => n.kind === 'llm-concept'), 'keywords only unless asked')
  const enriched = (await call(viewer, 'GET', '/concepts?set=included&llm=true')).json()
  t.same(enriched.nodes.filter((n: Json) => n.kind === 'llm-concept'), [
    { id: 'llm:chatbot', label: 'chatbot', count: 2, kind: 'llm-concept' }, { id: 'llm:pedometer', label: 'pedometer', count: 1, kind: 'llm-concept' },
    { id: 'llm:reminder', label: 'Reminders', count: 1, kind: 'llm-concept' }
  ], 'grounded concepts only: flagged ones stay out of the graph')
  t.match(enriched.nodes, [{ id: 'chatbot', kind: 'keyword', count: 2 }])
  t.ok(enriched.edges.some((e: Json) => e.source === 'chatbot' && e.target === 'llm:chatbot' && e.count === 2), 'keywords and concepts co-occur')
  const graphml = await call(viewer, 'GET', '/concepts?set=included&llm=true&format=graphml')
  t.match(graphml.body, /<data key="label">chatbot<\/data><data key="count">2<\/data><data key="kind">llm-concept<\/data>/)

  await t.test('categorical extraction values are nodes too (consensus first), without the LLM', async (t) => {
    const grid = { name: 'Study', sections: [{ title: 'Study', fields: [
      { key: 'design', label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] }, { key: 'blinded', label: 'Blinded', type: 'boolean' },
      { key: 'notes', label: 'Notes', type: 'text' }
    ] }] }
    const gridId = (await call(owner, 'POST', '/grids', { definition: grid })).json().id
    for (const a of [trial, agents]) {
      const saved = await call(owner, 'PUT', `/articles/${a.id}/extractions/consensus`, { gridId, values: { design: { value: 'RCT' }, blinded: { notReported: true }, notes: { value: 'free text' } } })
      t.equal(saved.statusCode, 200, saved.body)
    }
    const graph = (await call(viewer, 'GET', '/concepts?set=included')).json()
    t.same(graph.nodes.filter((n: Json) => n.kind === 'extraction-value'), [{ id: 'x:design rct', label: 'Design: RCT', count: 2, kind: 'extraction-value' }],
      'a choice is a node; "not reported" and free text are not')
    t.ok(graph.edges.some((e: Json) => e.source === 'chatbot' && e.target === 'x:design rct' && e.count === 2), 'values co-occur with keywords')
    const without = (await call(viewer, 'GET', '/concepts?set=included&extraction=false')).json()
    t.notOk(without.nodes.some((n: Json) => n.kind === 'extraction-value'), 'extraction=false leaves them out')
  })

  await t.test('an unreachable server: refused before any task, the last run stays the latest', async (t) => {
    await ollama.close()
    const again = await call(owner, 'POST', '/concepts/llm', { model: 'llama3:8b' })
    t.equal(again.statusCode, 502, 'refused before a task when the server is gone')
    const latest = (await call(viewer, 'GET', '/concepts/llm')).json()
    t.equal(latest.id, run.id, 'the last run stays the latest')
  })
})
