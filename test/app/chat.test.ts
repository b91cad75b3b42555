import { createHash, randomUUID } from 'node:crypto'
import { eq } from 'drizzle-orm'
import t from 'tap'
import { buildServer } from '../../src/server.ts'
import { articles, files, fullTextChunks } from '../../src/db/schema.ts'
import type { Database } from '../../src/db/index.ts'
import { storeExtraction } from '../../src/services/fulltext-text.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import { build, needsServices, testConfig, userWithToken, waitFor } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const FILLER = 'The cohort was recruited from primary care practices and followed for twelve months with routine visits.'

/** Stores an extracted full text (as the extraction task would) and links it to the article. */
async function addFullText(db: Database, projectId: string, articleId: string, pages: string[]): Promise<string> {
  const [file] = await db.insert(files).values({
    projectId, storagePath: `projects/${projectId}/fulltext/${randomUUID()}.pdf`, originalName: 'paper.pdf', contentType: 'application/pdf',
    size: 100, sha256: createHash('sha256').update(pages.join('\f')).digest('hex')
  }).returning()
  await storeExtraction(db, projectId, file.id, {
    ok: true, text: { pages: pages.map((text, i) => ({ number: i + 1, text })), sections: [], metadata: { pageCount: pages.length, encrypted: false, ocrPages: [] } }
  })
  await db.update(articles).set({ fullTextFileId: file.id }).where(eq(articles.id, articleId))
  return file.id
}

t.test('chat over the full texts: index, hybrid retrieval, verified citations, history across instances', { skip: needsServices }, async (t) => {
  const ollama = await startFakeOllama({
    models: ['nomic-embed-text', 'mxbai-embed-large', 'llama3:8b'],
    // The model cites the first passage it was given, and an id it was not given.
    answer: ({ prompt }) => {
      const ids = [...prompt.matchAll(/^\[(\d+)\]/gm)].map((m) => m[1])
      return `The working alliance was measured with the Working Alliance Inventory [${ids[0]}], as other trials did [999999].`
    }
  })
  t.teardown(() => ollama.close())
  const config = await testConfig(t, { OLLAMA_BASE_URL: ollama.baseUrl, RAG_EMBEDDING_MODEL: 'nomic-embed-text', RAG_CHUNK_UNIT: 'words', RAG_CHUNK_SIZE: '40', RAG_CHUNK_OVERLAP: '5' })
  const app = buildServer(config)
  t.teardown(() => app.close())
  await app.ready()
  const owner = await userWithToken(app)
  const colleague = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Chat' } })).json()
  const base = `/api/projects/${project.id}`
  await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: colleague.user.email, role: 'reviewer' } })
  const [alliance, knee, diet] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Chatbot alliance trial', sourceIndex: 0 },
    { projectId: project.id, title: 'Knee surgery registry', sourceIndex: 1 },
    { projectId: project.id, title: 'Mediterranean diet cohort', sourceIndex: 2 }
  ]).returning()
  const allianceFile = await addFullText(app.db, project.id, alliance.id, [
    `Introduction. ${FILLER} Digital tools are widely used.`,
    `Methods. The working alliance between participants and the chatbot was measured with the Working Alliance Inventory short form at week four. ${FILLER}`
  ])
  await addFullText(app.db, project.id, knee.id, [`Knee arthroplasty outcomes were collected in a national registry. ${FILLER}`, `Revision surgery rates. ${FILLER}`])

  const runTask = async (res: { statusCode: number; body: string; json(): Json }) => {
    t.equal(res.statusCode, 202, res.body)
    return waitFor(async () => {
      const task = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: owner.auth })).json()
      return ['succeeded', 'failed'].includes(task.status) && task
    }, 30000)
  }
  const embedInputs = () => ollama.requests.filter((r) => r.path === '/api/embed').flatMap((r) => r.body?.input as string[])

  await t.test('indexing: chunks per page, embedded, and incremental', async (t) => {
    t.match((await app.inject({ url: `${base}/fulltext/index`, headers: owner.auth })).json(), { files: 2, indexed: 0, pending: 2, chunks: 0, vectorIndex: 'exact' })
    const first = await runTask(await app.inject({ method: 'POST', url: `${base}/fulltext/index`, headers: owner.auth }))
    t.equal(first.status, 'succeeded', first.error ?? '')
    t.match(first.result, { requested: 2, indexed: 2, embeddingModel: 'nomic-embed-text:latest', errors: [] })
    const chunks = await app.db.select().from(fullTextChunks).where(eq(fullTextChunks.fileId, allianceFile))
    t.same([...new Set(chunks.map((c) => c.page))].sort(), [1, 2], 'chunks keep their page')
    t.ok(chunks.every((c) => c.embedding?.length === 64 * 4 && c.embeddingCodes?.length === 64 && c.embeddingModel === 'nomic-embed-text:latest'), 'float4 and int8 codes of 64 dimensions')
    t.ok(chunks.some((c) => c.page === 2 && c.text.includes('Working Alliance Inventory')))
    t.notOk(chunks.some((c) => c.text.includes('Introduction') && c.text.includes('Methods')), 'no chunk spans two pages')
    t.equal(embedInputs().length, first.result.chunks, 'each chunk embedded once')

    // A new full text: only its chunks are embedded.
    const before = embedInputs().length
    await addFullText(app.db, project.id, diet.id, [`Adherence to the Mediterranean diet was scored with the MEDAS questionnaire. ${FILLER}`])
    const second = await runTask(await app.inject({ method: 'POST', url: `${base}/fulltext/index`, headers: owner.auth }))
    t.match(second.result, { requested: 1, indexed: 1 })
    const added = embedInputs().slice(before)
    t.equal(added.length, second.result.chunks)
    t.ok(added.every((text) => !text.includes('Working Alliance') && !text.includes('arthroplasty')), 'the other full texts are not embedded again')
    t.match((await app.inject({ url: `${base}/fulltext/index`, headers: owner.auth })).json(), { files: 3, indexed: 3, pending: 0 })

    // Extracted again: its index goes with the old text, and the next run cuts it again.
    await storeExtraction(app.db, project.id, allianceFile, {
      ok: true, text: { pages: [{ number: 1, text: 'Introduction.' }, { number: 2, text: 'Methods. The working alliance was measured with the Working Alliance Inventory short form at week four.' }], sections: [], metadata: { pageCount: 2, encrypted: false, ocrPages: [] } }
    })
    t.match((await app.inject({ url: `${base}/fulltext/index`, headers: owner.auth })).json(), { pending: 1 })
    t.match((await runTask(await app.inject({ method: 'POST', url: `${base}/fulltext/index`, headers: owner.auth }))).result, { requested: 1 })
  })

  await t.test('hybrid retrieval puts the relevant passage first; lexical without a model', async (t) => {
    const question = encodeURIComponent('How was the working alliance measured?')
    const hybrid = (await app.inject({ url: `${base}/fulltext/retrieve?q=${question}&topK=3`, headers: owner.auth })).json()
    t.equal(hybrid.mode, 'hybrid')
    t.match(hybrid.chunks[0], { articleId: alliance.id, title: 'Chatbot alliance trial', page: 2, text: /Working Alliance Inventory/, lexicalRank: 1, vectorRank: 1 })
    t.ok(hybrid.chunks.length <= 3)
    t.ok(hybrid.chunks[0].similarity > 0.3)

    // Embeddings switched off for the project: lexical ranking alone, same first passage.
    t.equal((await app.inject({ method: 'PUT', url: `${base}/chat/settings`, headers: owner.auth, payload: { embeddingModel: '' } })).statusCode, 200)
    const lexical = (await app.inject({ url: `${base}/fulltext/retrieve?q=${question}`, headers: owner.auth })).json()
    t.equal(lexical.mode, 'lexical')
    t.match(lexical.chunks[0], { articleId: alliance.id, page: 2, vectorRank: null, similarity: null })

    // A model that is not installed: indexing reports each file, retrieval stays lexical.
    await app.inject({ method: 'PUT', url: `${base}/chat/settings`, headers: owner.auth, payload: { embeddingModel: 'missing-embedder' } })
    const failed = await runTask(await app.inject({ method: 'POST', url: `${base}/fulltext/index`, headers: owner.auth }))
    t.equal(failed.status, 'succeeded')
    t.equal(failed.result.errors.length, 3)
    t.match(failed.result.errors[0].message, /missing-embedder.*not found/)
    t.equal((await app.inject({ url: `${base}/fulltext/retrieve?q=${question}`, headers: owner.auth })).json().chunks[0].articleId, alliance.id)

    // Another model: embedded again, not cut again (same chunk ids).
    const ids = (await app.db.select({ id: fullTextChunks.id }).from(fullTextChunks).where(eq(fullTextChunks.projectId, project.id))).map((r) => r.id).sort()
    await app.inject({ method: 'PUT', url: `${base}/chat/settings`, headers: owner.auth, payload: { embeddingModel: 'mxbai-embed-large' } })
    const reembedded = await runTask(await app.inject({ method: 'POST', url: `${base}/fulltext/index`, headers: owner.auth }))
    t.match(reembedded.result, { requested: 3, errors: [], embeddingModel: 'mxbai-embed-large:latest' })
    const after = await app.db.select({ id: fullTextChunks.id, model: fullTextChunks.embeddingModel }).from(fullTextChunks).where(eq(fullTextChunks.projectId, project.id))
    t.same(after.map((r) => r.id).sort(), ids)
    t.ok(after.every((r) => r.model === 'mxbai-embed-large:latest'))
    t.equal((await app.inject({ url: `${base}/fulltext/retrieve?q=${question}`, headers: owner.auth })).json().mode, 'hybrid')
  })

  await t.test('bad settings and questions are refused naming the field', async (t) => {
    const res = await app.inject({ method: 'PUT', url: `${base}/chat/settings`, headers: owner.auth, payload: { chunkSize: 100, chunkOverlap: 100 } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { message: /overlap/ })
    t.equal((await app.inject({ url: `${base}/chat/settings`, headers: owner.auth })).json().chunkSize, 40, 'nothing changed')
    const conversation = (await app.inject({ method: 'POST', url: `${base}/chat/conversations`, headers: owner.auth, payload: {} })).json()
    const empty = await app.inject({ method: 'POST', url: `${base}/chat/conversations/${conversation.id}/messages`, headers: owner.auth, payload: { content: '   ' } })
    t.equal(empty.statusCode, 400)
    const noModel = await app.inject({ method: 'POST', url: `${base}/chat/conversations/${conversation.id}/messages`, headers: owner.auth, payload: { content: 'Anything?' } })
    t.equal(noModel.statusCode, 400)
    t.match(noModel.json(), { message: /no chat model/ })
    const missing = await app.inject({ method: 'POST', url: `${base}/chat/conversations/${conversation.id}/messages`, headers: owner.auth, payload: { content: 'working alliance?', model: 'nope' } })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { message: /not installed/ })
    t.same((await app.inject({ url: `${base}/chat/conversations/${conversation.id}/messages`, headers: owner.auth })).json().messages, [], 'nothing stored for a failed question')
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/chat/conversations/${conversation.id}`, headers: owner.auth })).statusCode, 204)
  })

  await t.test('answers cite verified passages; history is in the database, seen by another instance', async (t) => {
    await app.inject({ method: 'PUT', url: `${base}/chat/settings`, headers: owner.auth, payload: { chatModel: 'llama3:8b' } })
    const conversation = (await app.inject({ method: 'POST', url: `${base}/chat/conversations`, headers: owner.auth, payload: {} })).json()
    const url = `${base}/chat/conversations/${conversation.id}/messages`
    const res = await app.inject({ method: 'POST', url, headers: owner.auth, payload: { content: 'How was the working alliance measured?' } })
    t.equal(res.statusCode, 201, res.body)
    const { question, answer } = res.json()
    t.match(question, { role: 'user', content: 'How was the working alliance measured?' })
    t.equal(answer.role, 'assistant')
    t.equal(answer.citations.length, 1)
    t.match(answer.citations[0], { articleId: alliance.id, title: 'Chatbot alliance trial', page: 2, quote: /Working Alliance Inventory/ })
    t.same(answer.invalidCitations, [999999], 'an id that was not retrieved is dropped and flagged')
    t.ok(answer.retrieved.some((r: Json) => r.chunkId === answer.citations[0].chunkId))
    t.match(answer.generation, {
      model: 'llama3:8b', digest: 'a6990ed6be412c6a217614b0ec8e9cd6800a743d5dd7e1d7fbe9df09e61d5615', promptVersion: 'rag-chat-1',
      options: { temperature: 0.1, seed: 42 }, retrieval: { mode: 'hybrid', embeddingModel: 'mxbai-embed-large:latest' }
    })
    const chat = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!
    t.match(JSON.stringify(chat.body?.messages), /Working Alliance Inventory/, 'the passages are in the prompt')

    // A colleague does not see the conversation.
    t.equal((await app.inject({ url, headers: colleague.auth })).statusCode, 404)
    t.same((await app.inject({ url: `${base}/chat/conversations`, headers: colleague.auth })).json(), [])

    // Another process on the same database: same conversation and messages; the next question carries the history.
    const other = await build(t, { DATABASE_URL: config.DATABASE_URL, OLLAMA_BASE_URL: ollama.baseUrl, RAG_CHUNK_UNIT: 'words', RAG_CHUNK_SIZE: '40', RAG_CHUNK_OVERLAP: '5' })
    const list = (await other.inject({ url: `${base}/chat/conversations`, headers: owner.auth })).json()
    t.match(list, [{ id: conversation.id, title: 'How was the working alliance measured?', messageCount: 2 }])
    const seen = (await other.inject({ url, headers: owner.auth })).json()
    t.same(seen.messages.map((m: Json) => [m.role, m.content]), [['user', question.content], ['assistant', answer.content]])
    t.same(seen.messages[1].citations, answer.citations)
    const next = await other.inject({ method: 'POST', url, headers: owner.auth, payload: { content: 'And the knee registry?' } })
    t.equal(next.statusCode, 201, next.body)
    const sent = ollama.requests.filter((r) => r.path === '/api/chat').at(-1)!.body?.messages as Json[]
    t.same(sent.slice(1, 3).map((m) => m.role), ['user', 'assistant'], 'the earlier turn is sent back')
    t.equal((await app.inject({ url, headers: owner.auth })).json().messages.length, 4)

    t.equal((await app.inject({ method: 'DELETE', url: `${base}/chat/conversations/${conversation.id}`, headers: colleague.auth })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/chat/conversations/${conversation.id}`, headers: owner.auth })).statusCode, 204)
    t.same((await other.inject({ url: `${base}/chat/conversations`, headers: owner.auth })).json(), [])
  })
})
