/**
 * Client for the Ollama HTTP API (https://github.com/ollama/ollama/blob/main/docs/api.md):
 * list, check and pull models, generate and chat with structured (JSON
 * schema) output, embeddings.
 *
 * Failure policy:
 * - connection errors and HTTP 5xx are retried with exponential backoff and
 *   jitter (`retries` extra attempts);
 * - a missing model (HTTP 404) throws ModelNotFoundError at once;
 * - a request slower than `timeoutMs` throws OllamaTimeoutError and is not
 *   retried (a model that is slow under load only gets slower if asked again);
 * - an abort by the caller's signal rethrows the signal's reason.
 */

import type { Config } from '../config.ts'

export interface OllamaClientOptions {
  /** Server address, e.g. "http://127.0.0.1:11434" (from configuration). */
  baseUrl: string
  /** Per-attempt time limit for generate/chat/list calls. Default 120 000 ms. */
  timeoutMs?: number
  /** Pulls are long: they fail only when no progress line arrives for this long. Default 300 000 ms. */
  pullIdleTimeoutMs?: number
  /** Extra attempts after a connection error or a 5xx answer. Default 2. */
  retries?: number
  /** First backoff delay; doubles each retry, with ±50% jitter. Default 500 ms. */
  retryDelayMs?: number
  maxRetryDelayMs?: number
  /** How long Ollama keeps a model loaded after a request ("5m", seconds, -1…); Ollama's default if unset. */
  keepAlive?: string | number
  /** Injected fetch (defaults to the global one). */
  fetch?: typeof fetch
}

export class OllamaError extends Error {
  override name = 'OllamaError'
}

/** The server could not be reached (refused, reset, DNS…) after all retries. */
export class OllamaConnectionError extends OllamaError {
  override name = 'OllamaConnectionError'
}

export class OllamaTimeoutError extends OllamaError {
  override name = 'OllamaTimeoutError'
  constructor(message: string, readonly timeoutMs: number) {
    super(message)
  }
}

/** A non-2xx answer other than "model not found" (after retries for 5xx). */
export class OllamaHttpError extends OllamaError {
  override name = 'OllamaHttpError'
  constructor(message: string, readonly status: number, readonly body: string) {
    super(message)
  }
}

/** The model is not installed on the server (or, for a pull, does not exist in the registry). */
export class ModelNotFoundError extends OllamaError {
  override name = 'ModelNotFoundError'
  constructor(readonly model: string, message = `model '${model}' not found`) {
    super(message)
  }
}

/** The server answered 2xx with a body that is not what the API documents. */
export class OllamaResponseError extends OllamaError {
  override name = 'OllamaResponseError'
  constructor(message: string, readonly body: string) {
    super(message)
  }
}

export interface OllamaModel {
  /** "llama3:8b" */
  name: string
  model: string
  modifiedAt?: string
  /** Bytes on disk. */
  size?: number
  digest?: string
  details?: {
    format?: string
    family?: string
    families?: string[] | null
    parameterSize?: string
    quantizationLevel?: string
  }
}

export interface PullProgress {
  /** "pulling manifest", "downloading sha256:…", "verifying sha256 digest", "success"… */
  status: string
  digest?: string
  /** Bytes of the layer being downloaded. */
  total?: number
  completed?: number
}

/** Model parameters (Ollama's Modelfile options); only the common ones are typed. */
export interface ModelOptions {
  temperature?: number
  num_ctx?: number
  num_predict?: number
  seed?: number
  top_p?: number
  top_k?: number
  repeat_penalty?: number
  stop?: string[]
  [option: string]: unknown
}

/** `format`: "json" for any JSON, or a JSON schema object the answer must follow. */
export type OutputFormat = 'json' | Record<string, unknown>

export interface GenerateRequest {
  model: string
  prompt: string
  system?: string
  format?: OutputFormat
  options?: ModelOptions
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool'
  content: string
}

export interface ChatRequest {
  model: string
  messages: ChatMessage[]
  format?: OutputFormat
  options?: ModelOptions
}

export interface GenerationStats {
  model: string
  createdAt?: string
  doneReason?: string
  /** Tokens in the prompt and in the answer. */
  promptTokens?: number
  outputTokens?: number
  /** Wall time on the server, milliseconds. */
  totalDurationMs?: number
  loadDurationMs?: number
}

export interface GenerateResult extends GenerationStats {
  /** The model's text (a JSON document when `format` was given). */
  response: string
}

export interface ChatResult extends GenerationStats {
  message: ChatMessage
}

export interface EmbedRequest {
  model: string
  input: string[]
  /** Cut inputs longer than the model's context instead of failing (Ollama's default: true). */
  truncate?: boolean
  options?: ModelOptions
}

export interface EmbedResult {
  model: string
  embeddings: number[][]
  promptTokens?: number
  totalDurationMs?: number
}

export interface CallOptions {
  signal?: AbortSignal
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number
}

export interface OllamaClient {
  readonly baseUrl: string
  listModels(options?: CallOptions): Promise<OllamaModel[]>
  /** True when the model is installed; "llama3" and "llama3:latest" are the same model. */
  hasModel(name: string, options?: CallOptions): Promise<boolean>
  /** Downloads a model, reporting each progress line; resolves on "success". */
  pullModel(name: string, onProgress?: (progress: PullProgress) => void, options?: { signal?: AbortSignal }): Promise<void>
  generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult>
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResult>
  /** Embeddings of the inputs (POST /api/embed), in their order; Ollama normalises them to unit length. */
  embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult>
}

/** "llama3" → "llama3:latest"; names with a tag are unchanged. */
export function normaliseModelName(name: string): string {
  const trimmed = name.trim()
  const lastSegment = trimmed.slice(trimmed.lastIndexOf('/') + 1)
  return lastSegment.includes(':') ? trimmed : `${trimmed}:latest`
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED'
])

function isConnectionError(error: unknown): boolean {
  // Node's fetch (undici) reports network failures as TypeError("fetch failed") with the system error as cause.
  if (!(error instanceof TypeError)) return false
  const code = (error as { cause?: { code?: string } }).cause?.code
  return code !== undefined ? CONNECTION_ERROR_CODES.has(code) : error.message === 'fetch failed'
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string, message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error)
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve() }, ms)
    const onAbort = () => { clearTimeout(timer); reject(signal!.reason) }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

function errorMessageOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown }
    return typeof parsed.error === 'string' ? parsed.error : undefined
  } catch {
    return undefined
  }
}

const NS_PER_MS = 1e6

function statsOf(body: Record<string, unknown>): GenerationStats {
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined)
  const total = num(body.total_duration)
  const load = num(body.load_duration)
  return {
    model: String(body.model ?? ''),
    createdAt: typeof body.created_at === 'string' ? body.created_at : undefined,
    doneReason: typeof body.done_reason === 'string' ? body.done_reason : undefined,
    promptTokens: num(body.prompt_eval_count),
    outputTokens: num(body.eval_count),
    totalDurationMs: total === undefined ? undefined : total / NS_PER_MS,
    loadDurationMs: load === undefined ? undefined : load / NS_PER_MS
  }
}

export function createOllamaClient(options: OllamaClientOptions): OllamaClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  if (!/^https?:\/\//.test(baseUrl)) throw new TypeError(`Ollama baseUrl must be an http(s) URL (got "${options.baseUrl}")`)
  const timeoutMs = options.timeoutMs ?? 120_000
  const pullIdleTimeoutMs = options.pullIdleTimeoutMs ?? 300_000
  const retries = options.retries ?? 2
  const retryDelayMs = options.retryDelayMs ?? 500
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 8_000
  const doFetch = options.fetch ?? fetch

  const backoff = (attempt: number) => Math.min(maxRetryDelayMs, retryDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2)

  /**
   * One JSON request with timeout and retries. `model` names the model for a
   * 404 ModelNotFoundError. Returns the parsed 2xx body.
   */
  async function requestJson(method: 'GET' | 'POST', path: string, body: unknown, model: string | undefined, call: CallOptions = {}): Promise<Record<string, unknown>> {
    const limit = call.timeoutMs ?? timeoutMs
    for (let attempt = 0; ; attempt++) {
      const timeout = AbortSignal.timeout(limit)
      const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout
      let status: number
      let text: string
      try {
        const response = await doFetch(`${baseUrl}${path}`, {
          method,
          headers: body === undefined ? undefined : { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal
        })
        status = response.status
        text = await response.text()
      } catch (error) {
        if (call.signal?.aborted) throw call.signal.reason
        if (timeout.aborted) throw new OllamaTimeoutError(`Ollama ${path} did not answer within ${limit} ms`, limit)
        if (isConnectionError(error)) {
          if (attempt < retries) { await sleep(backoff(attempt), call.signal); continue }
          throw new OllamaConnectionError(`cannot reach Ollama at ${baseUrl} (${describe(error)}) after ${attempt + 1} attempt(s)`, { cause: error })
        }
        throw error
      }
      if (status >= 200 && status < 300) {
        try {
          const parsed: unknown = JSON.parse(text)
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object')
          return parsed as Record<string, unknown>
        } catch {
          throw new OllamaResponseError(`Ollama ${path} answered with a body that is not a JSON object`, text)
        }
      }
      const message = errorMessageOf(text) ?? text.slice(0, 200)
      if (status === 404 && model !== undefined) throw new ModelNotFoundError(model, message || `model '${model}' not found`)
      if (status >= 500 && attempt < retries) { await sleep(backoff(attempt), call.signal); continue }
      throw new OllamaHttpError(`Ollama ${path} answered ${status}: ${message}`, status, text)
    }
  }

  async function listModels(call?: CallOptions): Promise<OllamaModel[]> {
    const body = await requestJson('GET', '/api/tags', undefined, undefined, call)
    if (!Array.isArray(body.models)) throw new OllamaResponseError('Ollama /api/tags answered without a models list', JSON.stringify(body))
    return body.models.map((m: Record<string, unknown>) => {
      const details = m.details as Record<string, unknown> | undefined
      return {
        name: String(m.name ?? m.model),
        model: String(m.model ?? m.name),
        modifiedAt: typeof m.modified_at === 'string' ? m.modified_at : undefined,
        size: typeof m.size === 'number' ? m.size : undefined,
        digest: typeof m.digest === 'string' ? m.digest : undefined,
        details: details && {
          format: details.format as string | undefined,
          family: details.family as string | undefined,
          families: details.families as string[] | null | undefined,
          parameterSize: details.parameter_size as string | undefined,
          quantizationLevel: details.quantization_level as string | undefined
        }
      }
    })
  }

  async function pullModel(name: string, onProgress?: (progress: PullProgress) => void, call: { signal?: AbortSignal } = {}): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const idle = new AbortController()
      let idleTimer = setTimeout(() => idle.abort(), pullIdleTimeoutMs)
      const resetIdle = () => { clearTimeout(idleTimer); idleTimer = setTimeout(() => idle.abort(), pullIdleTimeoutMs) }
      const signal = call.signal ? AbortSignal.any([call.signal, idle.signal]) : idle.signal
      try {
        let response: Response
        try {
          response = await doFetch(`${baseUrl}/api/pull`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ model: name, stream: true }),
            signal
          })
        } catch (error) {
          if (call.signal?.aborted) throw call.signal.reason
          if (idle.signal.aborted) throw new OllamaTimeoutError(`Ollama pull of '${name}' did not start within ${pullIdleTimeoutMs} ms`, pullIdleTimeoutMs)
          if (isConnectionError(error) && attempt < retries) { await sleep(backoff(attempt), call.signal); continue }
          if (isConnectionError(error)) throw new OllamaConnectionError(`cannot reach Ollama at ${baseUrl} (${describe(error)})`, { cause: error })
          throw error
        }
        if (!response.ok) {
          const text = await response.text()
          const message = errorMessageOf(text) ?? text.slice(0, 200)
          if (response.status === 404 || /file does not exist|not found/i.test(message)) throw new ModelNotFoundError(name, message)
          if (response.status >= 500 && attempt < retries) { await sleep(backoff(attempt), call.signal); continue }
          throw new OllamaHttpError(`Ollama pull of '${name}' answered ${response.status}: ${message}`, response.status, text)
        }
        if (!response.body) throw new OllamaResponseError('Ollama /api/pull answered without a body', '')
        let succeeded = false
        try {
          for await (const line of ndjsonLines(response.body)) {
            resetIdle()
            let event: Record<string, unknown>
            try {
              event = JSON.parse(line) as Record<string, unknown>
            } catch {
              throw new OllamaResponseError('Ollama /api/pull sent a line that is not JSON', line)
            }
            // Errors arrive inside the 200 stream: {"error":"pull model manifest: file does not exist"}.
            if (typeof event.error === 'string') {
              if (/file does not exist|not found/i.test(event.error)) throw new ModelNotFoundError(name, event.error)
              throw new OllamaError(`Ollama pull of '${name}' failed: ${event.error}`)
            }
            const progress: PullProgress = { status: String(event.status ?? '') }
            if (typeof event.digest === 'string') progress.digest = event.digest
            if (typeof event.total === 'number') progress.total = event.total
            if (typeof event.completed === 'number') progress.completed = event.completed
            onProgress?.(progress)
            if (progress.status === 'success') succeeded = true
          }
        } catch (error) {
          if (call.signal?.aborted) throw call.signal.reason
          if (idle.signal.aborted) throw new OllamaTimeoutError(`Ollama pull of '${name}' stalled: no progress for ${pullIdleTimeoutMs} ms`, pullIdleTimeoutMs)
          if (isConnectionError(error) && attempt < retries) { await sleep(backoff(attempt), call.signal); continue }
          throw error
        }
        if (!succeeded) throw new OllamaError(`Ollama pull of '${name}' ended without "success"`)
        return
      } finally {
        clearTimeout(idleTimer)
      }
    }
  }

  return {
    baseUrl,
    listModels,
    async hasModel(name, call) {
      const wanted = normaliseModelName(name)
      const models = await listModels(call)
      return models.some((m) => normaliseModelName(m.name) === wanted || normaliseModelName(m.model) === wanted)
    },
    pullModel,
    async generate(request, call) {
      const body = await requestJson('POST', '/api/generate', {
        model: request.model,
        prompt: request.prompt,
        system: request.system,
        format: request.format,
        options: request.options,
        keep_alive: options.keepAlive,
        stream: false
      }, request.model, call)
      if (typeof body.response !== 'string') throw new OllamaResponseError('Ollama /api/generate answered without a response text', JSON.stringify(body))
      return { ...statsOf(body), response: body.response }
    },
    async chat(request, call) {
      const body = await requestJson('POST', '/api/chat', {
        model: request.model,
        messages: request.messages,
        format: request.format,
        options: request.options,
        keep_alive: options.keepAlive,
        stream: false
      }, request.model, call)
      const message = body.message as Record<string, unknown> | undefined
      if (!message || typeof message.content !== 'string') throw new OllamaResponseError('Ollama /api/chat answered without a message', JSON.stringify(body))
      return { ...statsOf(body), message: { role: (message.role as ChatMessage['role']) ?? 'assistant', content: message.content } }
    },
    async embed(request, call) {
      const body = await requestJson('POST', '/api/embed', {
        model: request.model,
        input: request.input,
        truncate: request.truncate,
        options: request.options,
        keep_alive: options.keepAlive
      }, request.model, call)
      const embeddings = body.embeddings
      const valid = Array.isArray(embeddings) && embeddings.length === request.input.length &&
        embeddings.every((e) => Array.isArray(e) && e.length > 0 && e.every((x) => typeof x === 'number' && Number.isFinite(x)))
      if (!valid) throw new OllamaResponseError(`Ollama /api/embed did not answer one vector of numbers per input (${request.input.length})`, JSON.stringify(body).slice(0, 500))
      const stats = statsOf(body)
      return { model: stats.model, embeddings: embeddings as number[][], promptTokens: stats.promptTokens, totalDurationMs: stats.totalDurationMs }
    }
  }
}

/** A client configured from the service configuration (OLLAMA_BASE_URL, OLLAMA_TIMEOUT_MS). */
export function createOllamaClientFromConfig(
  config: Pick<Config, 'OLLAMA_BASE_URL' | 'OLLAMA_TIMEOUT_MS'>,
  overrides: Partial<OllamaClientOptions> = {}
): OllamaClient {
  return createOllamaClient({ baseUrl: config.OLLAMA_BASE_URL, timeoutMs: config.OLLAMA_TIMEOUT_MS, ...overrides })
}

/** Splits a byte stream of newline-delimited JSON into its non-empty lines. */
async function* ndjsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim()
      buffer = buffer.slice(newline + 1)
      if (line) yield line
    }
  }
  buffer += decoder.decode()
  if (buffer.trim()) yield buffer.trim()
}
