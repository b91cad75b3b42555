/**
 * A local stand-in for an Ollama server, speaking the documented HTTP API
 * (GET /api/tags, POST /api/pull streaming NDJSON, POST /api/generate and
 * /api/chat with stream: false), for tests of the client.
 *
 * /api/generate answers according to the prompt, so a test chooses the
 * behaviour through the record it screens:
 *   "[slow:N]"        wait N ms before answering
 *   "[malformed]"     the model's text is broken JSON
 *   "[out-of-range]"  probability 1.7
 *   "[include]"       {"decision":"include","probability":0.92,…}
 *   "[exclude]"       {"decision":"exclude","probability":0.04,…}
 *   anything else     {"decision":"maybe","probability":0.5,…}
 * A test of another structured task (extraction, appraisal, synthesis) gives
 * `answer`, which sees each generate/chat request and returns the model's text
 * (or undefined for the behaviour above).
 * POST /api/embed returns, for each input, a deterministic unit vector of
 * `embeddingDimensions` (default 64) built from the input's words (hashed bag
 * of words), so texts sharing words are close — enough to test retrieval.
 * Unknown models get 404 {"error":"model 'x' not found"}.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface FakeOllamaOptions {
  /** Installed models (names with tag, e.g. "llama3:latest"). */
  models?: string[]
  /** Models the registry has: name → size in bytes; pulling one installs it. */
  registry?: Record<string, number>
  /** The next N requests (any path) are answered 503. */
  failNext?: number
  /** Delay between NDJSON lines of a pull, ms. */
  pullLineDelayMs?: number
  /** Stop the pull stream after this many lines and hang (to test idle timeouts). */
  pullHangAfterLines?: number
  /** The model's text for a generate/chat request; undefined falls back to the screening behaviour. */
  answer?: (request: { path: string; model: string; prompt: string; body: Record<string, unknown> }) => string | undefined
  /** Length of the vectors /api/embed returns (default 64). */
  embeddingDimensions?: number
}

export interface RecordedRequest {
  method: string
  path: string
  body: Record<string, unknown> | undefined
}

export interface FakeOllama {
  baseUrl: string
  requests: RecordedRequest[]
  options: FakeOllamaOptions
  /** Most generate/chat requests in flight at once so far (counted until their connection closes or they are answered). */
  maxGenerating(): number
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function withLatest(name: string): string {
  return name.includes(':') ? name : `${name}:latest`
}

/** A unit vector from the text's lower-cased words, each hashed (FNV-1a) to one dimension. */
export function bagOfWordsEmbedding(text: string, dimensions = 64): number[] {
  const vector = new Array<number>(dimensions).fill(0)
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 0x811c9dc5
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 0x01000193) >>> 0
    vector[hash % dimensions] += 1
  }
  const norm = Math.hypot(...vector)
  return norm === 0 ? vector : vector.map((x) => x / norm)
}

function modelText(prompt: string): string {
  if (prompt.includes('[malformed]')) return '{"decision": "include", "probability": 0.9, "justification": "cut off'
  if (prompt.includes('[out-of-range]')) return JSON.stringify({ decision: 'include', probability: 1.7, justification: 'Very relevant.' })
  if (prompt.includes('[include]')) return JSON.stringify({ decision: 'include', probability: 0.92, justification: 'Population and intervention match the criteria.' })
  if (prompt.includes('[exclude]')) return JSON.stringify({ decision: 'exclude', probability: 0.04, justification: 'Not a study of the population of interest.' })
  return JSON.stringify({ decision: 'maybe', probability: 0.5, justification: 'The abstract does not report the design.' })
}

export async function startFakeOllama(options: FakeOllamaOptions = {}): Promise<FakeOllama> {
  const installed = new Set((options.models ?? []).map(withLatest))
  const requests: RecordedRequest[] = []
  const sockets = new Set<import('node:net').Socket>()
  let generating = 0
  let maxGenerating = 0

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    let body: Record<string, unknown> | undefined
    try {
      body = raw ? JSON.parse(raw) as Record<string, unknown> : undefined
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid JSON body' }))
      return
    }
    const path = (req.url ?? '/').split('?')[0]
    requests.push({ method: req.method ?? 'GET', path, body })
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(value))
    }

    if ((options.failNext ?? 0) > 0) {
      options.failNext = (options.failNext ?? 0) - 1
      return json(503, { error: 'server busy' })
    }

    if (req.method === 'GET' && path === '/api/tags') {
      return json(200, {
        models: [...installed].map((name) => ({
          name,
          model: name,
          modified_at: '2024-05-01T10:00:00.000000000+02:00',
          size: 4_661_224_676,
          digest: 'a6990ed6be412c6a217614b0ec8e9cd6800a743d5dd7e1d7fbe9df09e61d5615',
          details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '8.0B', quantization_level: 'Q4_0' }
        }))
      })
    }

    if (req.method === 'POST' && path === '/api/pull') {
      const name = withLatest(String(body?.model ?? body?.name ?? ''))
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      const lines: object[] = [{ status: 'pulling manifest' }]
      const size = options.registry?.[name]
      if (size === undefined) {
        lines.push({ error: 'pull model manifest: file does not exist' })
      } else {
        const digest = 'sha256:6a0746a1ec1aef3e7ec53868f220ff6e389f6f8ef87a01d77c96807de94ca2aa'
        for (let done = 0; done <= size; done += Math.ceil(size / 4)) {
          lines.push({ status: `pulling ${digest.slice(7, 19)}`, digest, total: size, completed: Math.min(done, size) })
        }
        lines.push({ status: `pulling ${digest.slice(7, 19)}`, digest, total: size, completed: size })
        lines.push({ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' })
      }
      for (const [i, line] of lines.entries()) {
        if (options.pullHangAfterLines !== undefined && i >= options.pullHangAfterLines) return // leave the stream open
        res.write(JSON.stringify(line) + '\n')
        if (options.pullLineDelayMs) await sleep(options.pullLineDelayMs)
      }
      if (size !== undefined) installed.add(name)
      res.end()
      return
    }

    if (req.method === 'POST' && (path === '/api/generate' || path === '/api/chat')) {
      const model = String(body?.model ?? '')
      if (!installed.has(withLatest(model))) return json(404, { error: `model '${model}' not found` })
      const prompt = path === '/api/generate'
        ? String(body?.prompt ?? '')
        : ((body?.messages as Array<{ content: string }> | undefined) ?? []).map((m) => m.content).join('\n')
      maxGenerating = Math.max(maxGenerating, ++generating)
      res.once('close', () => generating--)
      const slow = /\[slow:(\d+)\]/.exec(prompt)
      if (slow) await sleep(Number(slow[1]))
      if (res.destroyed) return
      const answered = options.answer?.({ path, model, prompt, body: body ?? {} })
      const text = answered ?? (body?.format === undefined ? 'Free-text answer.' : modelText(prompt))
      const common = {
        model,
        created_at: new Date().toISOString(),
        done: true,
        done_reason: 'stop',
        total_duration: 5_043_500_667,
        load_duration: 5_025_959,
        prompt_eval_count: 26,
        prompt_eval_duration: 325_953_000,
        eval_count: 290,
        eval_duration: 4_709_213_000
      }
      return json(200, path === '/api/generate'
        ? { ...common, response: text, context: [1, 2, 3] }
        : { ...common, message: { role: 'assistant', content: text } })
    }

    if (req.method === 'POST' && path === '/api/embed') {
      const model = String(body?.model ?? '')
      if (!installed.has(withLatest(model))) return json(404, { error: `model '${model}' not found` })
      const input = body?.input
      const inputs = Array.isArray(input) ? input.map(String) : [String(input ?? '')]
      const dimensions = options.embeddingDimensions ?? 64
      return json(200, {
        model,
        embeddings: inputs.map((text) => bagOfWordsEmbedding(text, dimensions)),
        total_duration: 14_143_917,
        load_duration: 1_019_500,
        prompt_eval_count: inputs.reduce((n, text) => n + text.split(/\s+/).length, 0)
      })
    }

    json(404, { error: '404 page not found' })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    options,
    maxGenerating: () => maxGenerating,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server.close(() => resolve())
    })
  }
}
