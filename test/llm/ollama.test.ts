import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createOllamaClient, createOllamaClientFromConfig, ModelNotFoundError, normaliseModelName, OllamaConnectionError, OllamaError, OllamaHttpError,
  OllamaResponseError, OllamaTimeoutError, type PullProgress
} from '../../src/llm/ollama.ts'
import { buildScreeningPrompt, parseScreeningAnswer, ScreeningAnswerError, SCREENING_ANSWER_SCHEMA } from '../../src/llm/screening-prompt.ts'
import { startFakeOllama } from './ollama-server.ts'

t.test('lists installed models and matches names with or without :latest', async (t) => {
  const server = await startFakeOllama({ models: ['llama3:latest', 'phi3:mini'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl + '/' })
  const models = await client.listModels()
  t.same(models.map((m) => m.name), ['llama3:latest', 'phi3:mini'])
  t.equal(models[0].details?.parameterSize, '8.0B')
  t.equal(await client.hasModel('llama3'), true)
  t.equal(await client.hasModel('llama3:latest'), true)
  t.equal(await client.hasModel('phi3:mini'), true)
  t.equal(await client.hasModel('phi3'), false, 'phi3 means phi3:latest, which is not installed')
  t.equal(await client.hasModel('mixtral:8x7b'), false)
  t.equal(normaliseModelName('registry.local/team/llama3'), 'registry.local/team/llama3:latest')
})

t.test('generate sends a non-streaming request with the JSON schema as format and returns the text and stats', async (t) => {
  const server = await startFakeOllama({ models: ['llama3:8b'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, keepAlive: '10m' })
  const built = buildScreeningPrompt({
    question: 'Does CBT delivered by app reduce depression? [include]',
    criteria: { population: 'adults with depression' },
    record: { title: 'App-based CBT for depression: an RCT', abstract: 'We randomised 200 adults.' }
  })
  const result = await client.generate({ model: 'llama3:8b', prompt: built.prompt, system: built.system, format: built.format, options: { temperature: 0, num_ctx: 4096 } })
  const sent = server.requests.at(-1)!
  t.equal(sent.path, '/api/generate')
  t.equal(sent.body?.stream, false)
  t.same(sent.body?.format, SCREENING_ANSWER_SCHEMA)
  t.same(sent.body?.options, { temperature: 0, num_ctx: 4096 })
  t.equal(sent.body?.keep_alive, '10m')
  t.equal(sent.body?.system, built.system)
  t.equal(result.outputTokens, 290)
  t.equal(result.promptTokens, 26)
  t.ok(Math.abs(result.totalDurationMs! - 5043.500667) < 1e-6, 'durations converted from ns to ms')
  t.same(parseScreeningAnswer(result.response), { decision: 'include', probability: 0.92, justification: 'Population and intervention match the criteria.' })
})

t.test('a slow answer ends in OllamaTimeoutError and is not retried', async (t) => {
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, timeoutMs: 150, retries: 3, retryDelayMs: 1 })
  await t.rejects(client.generate({ model: 'llama3', prompt: 'Title: x [slow:2000]', format: SCREENING_ANSWER_SCHEMA }), OllamaTimeoutError,
    'gave up at the time limit, not after the answer (which would have been a decision)')
  t.equal(server.requests.filter((r) => r.path === '/api/generate').length, 1, 'one attempt only')
  // A per-call limit overrides the client's.
  const ok = await client.generate({ model: 'llama3', prompt: '[slow:300] [exclude]', format: SCREENING_ANSWER_SCHEMA }, { timeoutMs: 3000 })
  t.equal(parseScreeningAnswer(ok.response).decision, 'exclude')
})

t.test("the caller's abort signal stops a request with the signal's reason", async (t) => {
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl })
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('job cancelled')), 50)
  await t.rejects(client.generate({ model: 'llama3', prompt: '[slow:2000]' }, { signal: controller.signal }), { message: 'job cancelled' })
})

t.test('a malformed JSON answer from the model is a typed ScreeningAnswerError, not a default', async (t) => {
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl })
  const malformed = await client.generate({ model: 'llama3', prompt: 'Title: [malformed]', format: SCREENING_ANSWER_SCHEMA })
  t.throws(() => parseScreeningAnswer(malformed.response), ScreeningAnswerError)
  try {
    parseScreeningAnswer(malformed.response)
  } catch (error) {
    t.equal((error as ScreeningAnswerError).problem, 'malformed-json')
    t.equal((error as ScreeningAnswerError).raw, malformed.response)
  }
  const outOfRange = await client.generate({ model: 'llama3', prompt: 'Title: [out-of-range]', format: SCREENING_ANSWER_SCHEMA })
  t.throws(() => parseScreeningAnswer(outOfRange.response), new ScreeningAnswerError('probability-out-of-range', 'probability must be between 0 and 1 (got 1.7)', outOfRange.response))
})

t.test('a missing model gives ModelNotFoundError at once, without retries', async (t) => {
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, retries: 3, retryDelayMs: 1 })
  const error = await client.generate({ model: 'mixtral:8x7b', prompt: 'hello' }).catch((e: unknown) => e)
  t.ok(error instanceof ModelNotFoundError)
  t.equal((error as ModelNotFoundError).model, 'mixtral:8x7b')
  t.equal((error as Error).message, "model 'mixtral:8x7b' not found")
  t.equal(server.requests.length, 1)
  await t.rejects(client.chat({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }), ModelNotFoundError)
})

t.test('5xx answers are retried with backoff, then reported as OllamaHttpError', async (t) => {
  const server = await startFakeOllama({ models: ['llama3'], failNext: 2 })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, retries: 2, retryDelayMs: 5 })
  const result = await client.generate({ model: 'llama3', prompt: '[include]', format: 'json' })
  t.equal(parseScreeningAnswer(result.response).decision, 'include', 'third attempt succeeded')
  t.equal(server.requests.length, 3)

  server.options.failNext = 5
  const error = await client.listModels().catch((e: unknown) => e)
  t.ok(error instanceof OllamaHttpError)
  t.equal((error as OllamaHttpError).status, 503)
  t.match((error as Error).message, /server busy/)
  t.equal(server.requests.length, 6, 'three more attempts')
})

t.test('connection errors are retried, then reported as OllamaConnectionError', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = http.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const client = createOllamaClient({ baseUrl: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 5 })
  const error = await client.listModels().catch((e: unknown) => e)
  t.ok(error instanceof OllamaConnectionError, String(error))
  t.match((error as Error).message, /ECONNREFUSED.*3 attempt/)
})

t.test('chat returns the assistant message', async (t) => {
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl })
  const result = await client.chat({ model: 'llama3', messages: [{ role: 'user', content: 'Screen this [exclude]' }], format: SCREENING_ANSWER_SCHEMA })
  t.equal(result.message.role, 'assistant')
  t.equal(parseScreeningAnswer(result.message.content).decision, 'exclude')
  t.equal(server.requests.at(-1)!.body?.stream, false)
})

t.test('pullModel streams progress and installs the model', async (t) => {
  const server = await startFakeOllama({ models: [], registry: { 'phi3:mini': 2_000_000 } })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl })
  t.equal(await client.hasModel('phi3:mini'), false)
  const progress: PullProgress[] = []
  await client.pullModel('phi3:mini', (p) => progress.push(p))
  t.equal(progress[0].status, 'pulling manifest')
  t.equal(progress.at(-1)!.status, 'success')
  const downloads = progress.filter((p) => p.total !== undefined)
  t.ok(downloads.length >= 3)
  t.equal(downloads[0].total, 2_000_000)
  t.equal(downloads.at(-1)!.completed, 2_000_000)
  t.ok(downloads.every((p, i) => i === 0 || p.completed! >= downloads[i - 1].completed!), 'completed never goes back')
  t.same(server.requests.find((r) => r.path === '/api/pull')?.body, { model: 'phi3:mini', stream: true })
  t.equal(await client.hasModel('phi3:mini'), true)
})

t.test('an error inside the pull stream is thrown (unknown model → ModelNotFoundError)', async (t) => {
  const server = await startFakeOllama({ registry: {} })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl })
  const statuses: string[] = []
  const error = await client.pullModel('no-such-model', (p) => statuses.push(p.status)).catch((e: unknown) => e)
  t.ok(error instanceof ModelNotFoundError)
  t.match((error as Error).message, /file does not exist/)
  t.same(statuses, ['pulling manifest'])
})

t.test('a pull that stops sending progress fails after the idle time limit', async (t) => {
  const server = await startFakeOllama({ registry: { 'llama3:latest': 1000 }, pullHangAfterLines: 2 })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, pullIdleTimeoutMs: 200, retries: 0 })
  const seen: PullProgress[] = []
  const error = await client.pullModel('llama3', (p) => seen.push(p)).catch((e: unknown) => e)
  t.ok(error instanceof OllamaTimeoutError, String(error))
  t.ok(error instanceof OllamaError, 'all client errors share a base class')
  t.equal(seen.length, 2)
})

t.test('a 2xx body that is not JSON is an OllamaResponseError', async (t) => {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy login</html>'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const client = createOllamaClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })
  const error = await client.listModels().catch((e: unknown) => e)
  t.ok(error instanceof OllamaResponseError)
  t.equal((error as OllamaResponseError).body, '<html>proxy login</html>')
})

t.test('the base URL must be http(s); the service configuration can be used directly', async (t) => {
  t.throws(() => createOllamaClient({ baseUrl: 'localhost:11434' }), TypeError)
  const server = await startFakeOllama({ models: ['llama3'] })
  t.teardown(server.close)
  const client = createOllamaClientFromConfig({ OLLAMA_BASE_URL: server.baseUrl, OLLAMA_TIMEOUT_MS: 100 })
  t.equal(client.baseUrl, server.baseUrl)
  await t.rejects(client.generate({ model: 'llama3', prompt: '[slow:1000]' }), OllamaTimeoutError, 'OLLAMA_TIMEOUT_MS applies')
})

t.test('embed sends the inputs to /api/embed and returns one vector each; a missing model is ModelNotFoundError', async (t) => {
  const server = await startFakeOllama({ models: ['nomic-embed-text'], embeddingDimensions: 16 })
  t.teardown(server.close)
  const client = createOllamaClient({ baseUrl: server.baseUrl, retries: 0 })
  const result = await client.embed({ model: 'nomic-embed-text', input: ['working alliance', 'knee surgery'] })
  t.same(server.requests.at(-1)?.body?.input, ['working alliance', 'knee surgery'])
  t.equal(result.embeddings.length, 2)
  t.ok(result.embeddings.every((v) => v.length === 16))
  await t.rejects(client.embed({ model: 'absent', input: ['x'] }), ModelNotFoundError)
})

t.test('embed refuses an answer without one vector per input', async (t) => {
  const server = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ model: 'm', embeddings: [[0.1, 0.2]] })) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const client = createOllamaClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, retries: 0 })
  await t.rejects(client.embed({ model: 'm', input: ['a', 'b'] }), OllamaResponseError)
})
