/**
 * The request layer every connector uses: Node's global fetch with a time
 * limit per attempt, retries with exponential backoff and jitter on network
 * errors, time-outs, 429 and 5xx (honouring Retry-After), no retry on other
 * 4xx, optional client-side rate limiting, and typed errors whose URLs never
 * show API keys.
 */
import { ApiError, UpstreamHttpError, NetworkError, RequestTimeoutError, ResponseFormatError, redactUrl } from './errors.ts'
import type { RateLimiter } from './rate-limit.ts'

export type FetchImpl = typeof globalThis.fetch

export interface RetryInfo {
  /** The attempt that just failed (1 = first). */
  attempt: number
  delayMs: number
  reason: string
  url: string
}

export interface RequestOptions {
  /** Retries after the first attempt (default 3). */
  retries?: number
  /** First backoff delay (default 500 ms); doubles each retry. */
  baseDelayMs?: number
  /** Cap on one backoff delay (default 30 s). */
  maxDelayMs?: number
  /**
   * Time limit of one attempt, including reading the body for `fetchText` and
   * `fetchJson` (default 30 s). For `requestWithRetry` it keeps running while
   * the caller reads the returned body.
   */
  timeoutMs?: number
  /** Cancels waiting and the request in flight; never retried. */
  signal?: AbortSignal
  /** Every attempt (retries included) takes a slot of this limiter. */
  rateLimiter?: RateLimiter
  fetchImpl?: FetchImpl
  /** A Retry-After longer than this is not waited for: the error is thrown at once (default 120 s). */
  maxRetryAfterMs?: number
  onRetry?: (info: RetryInfo) => void
  /**
   * Largest body `fetchText`/`fetchJson` read, counted after decompression (fetch inflates gzip, deflate
   * and brotli bodies by itself): a compressed body inflating past it fails with ResponseFormatError
   * instead of filling memory (default 128 MiB; a page of 1,000 Crossref works with their references is some 50 MB).
   */
  maxBodyBytes?: number
}

const DEFAULTS = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 30_000, maxRetryAfterMs: 120_000, maxBodyBytes: 128 * 1024 * 1024 }
/** What is read of an error response's body for the error message. */
const SNIPPET_BYTES = 64 * 1024

/** Milliseconds to wait from a Retry-After header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** Backoff before retry number `retry` (1-based): half fixed, half random ("equal jitter"). */
export function backoffDelay(retry: number, baseDelayMs: number, maxDelayMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve()
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

type AttemptOutcome<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'status'; status: number; snippet: string; retryAfterMs?: number }
  | { kind: 'network'; message: string; cause: unknown }
  | { kind: 'timeout' }

/**
 * The body as UTF-8 text (as `response.text()`), reading at most `maxBytes` decompressed bytes:
 * past them the body is cancelled and `onTooLarge` decides (throw, or keep what was read).
 */
async function readBody(response: Response, maxBytes: number, onTooLarge: () => void): Promise<string> {
  const reader = response.body?.getReader()
  if (!reader) return ''
  const decoder = new TextDecoder()
  const parts: string[] = []
  let bytes = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.length
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => {})
      onTooLarge()
      break
    }
    parts.push(decoder.decode(value, { stream: true }))
  }
  parts.push(decoder.decode())
  return parts.join('')
}

async function readSnippet(response: Response): Promise<string> {
  try {
    const text = await readBody(response, SNIPPET_BYTES, () => {})
    return text.replace(/\s+/g, ' ').trim().slice(0, 500)
  } catch {
    return ''
  }
}

function readLimitedText(response: Response, url: string | URL, options: RequestOptions): Promise<string> {
  const maxBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes
  return readBody(response, maxBytes, () => {
    throw new ResponseFormatError(redactUrl(url), `body larger than ${maxBytes} bytes once decompressed`)
  })
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause
    const causeText = cause instanceof Error ? `${(cause as NodeJS.ErrnoException).code ?? cause.name}: ${cause.message}` : ''
    return causeText ? `${error.message} (${causeText})` : error.message
  }
  return String(error)
}

/**
 * Runs one request with retries; `read` turns a successful response into the
 * result inside the attempt (so a stalled body counts against the time limit).
 * Errors thrown by `read` other than network failures are not retried.
 */
async function withRetries<T>(
  url: string | URL,
  init: RequestInit,
  options: RequestOptions,
  read: (response: Response) => Promise<T>
): Promise<T> {
  const retries = options.retries ?? DEFAULTS.retries
  const baseDelayMs = options.baseDelayMs ?? DEFAULTS.baseDelayMs
  const maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULTS.maxRetryAfterMs
  const fetchImpl = options.fetchImpl ?? globalThis.fetch
  const { signal, rateLimiter } = options
  const shownUrl = redactUrl(url)

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw signal.reason
    const timeoutSignal = AbortSignal.timeout(timeoutMs)
    const attemptSignal = signal ? AbortSignal.any([signal, timeoutSignal]) : timeoutSignal

    const runAttempt = async (): Promise<AttemptOutcome<T>> => {
      try {
        const response = await fetchImpl(url, { ...init, signal: attemptSignal })
        if (response.ok) return { kind: 'ok', value: await read(response) }
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'))
        return { kind: 'status', status: response.status, snippet: await readSnippet(response), retryAfterMs }
      } catch (error) {
        if (signal?.aborted) throw signal.reason
        if (timeoutSignal.aborted) return { kind: 'timeout' }
        if (error instanceof ResponseFormatError || error instanceof ApiError || error instanceof UpstreamHttpError) throw error
        return { kind: 'network', message: describeNetworkError(error), cause: error }
      }
    }

    const outcome = rateLimiter ? await rateLimiter.run(runAttempt, signal) : await runAttempt()
    if (outcome.kind === 'ok') return outcome.value

    const canRetry = attempt <= retries && (outcome.kind !== 'status' || isRetryableStatus(outcome.status))
    if (!canRetry) {
      if (outcome.kind === 'status') throw new UpstreamHttpError(outcome.status, shownUrl, outcome.snippet, outcome.retryAfterMs, attempt)
      if (outcome.kind === 'timeout') throw new RequestTimeoutError(shownUrl, timeoutMs, attempt)
      throw new NetworkError(shownUrl, outcome.message, attempt, { cause: outcome.cause })
    }

    let delayMs = backoffDelay(attempt, baseDelayMs, maxDelayMs)
    let reason: string = outcome.kind
    if (outcome.kind === 'status') {
      reason = `HTTP ${outcome.status}`
      if (outcome.retryAfterMs !== undefined) {
        if (outcome.retryAfterMs > maxRetryAfterMs) {
          throw new UpstreamHttpError(outcome.status, shownUrl, outcome.snippet, outcome.retryAfterMs, attempt)
        }
        delayMs = outcome.retryAfterMs
      }
    }
    options.onRetry?.({ attempt, delayMs, reason, url: shownUrl })
    await sleep(delayMs, signal)
  }
}

/**
 * Fetches `url`, retrying as described above, and returns the successful
 * response with its body unread. Throws UpstreamHttpError (non-2xx after retries),
 * RequestTimeoutError, NetworkError, or the caller's abort reason.
 */
export function requestWithRetry(url: string | URL, init: RequestInit = {}, options: RequestOptions = {}): Promise<Response> {
  return withRetries(url, init, options, async (response) => response)
}

/** Like requestWithRetry, reading the body as text within the attempt. */
export function fetchText(url: string | URL, init: RequestInit = {}, options: RequestOptions = {}): Promise<{ text: string; response: Response }> {
  return withRetries(url, init, options, async (response) => ({ text: await readLimitedText(response, url, options), response }))
}

/**
 * Like requestWithRetry, parsing the body as JSON within the attempt. A body
 * that is not JSON throws ResponseFormatError (not retried).
 */
export function fetchJson<T = unknown>(url: string | URL, init: RequestInit = {}, options: RequestOptions = {}): Promise<T> {
  return withRetries(url, init, options, async (response) => {
    const text = await readLimitedText(response, url, options)
    try {
      return JSON.parse(text) as T
    } catch (error) {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120)
      throw new ResponseFormatError(redactUrl(url), `body is not JSON (${snippet ? `starts with "${snippet}"` : 'empty'})`, { cause: error })
    }
  })
}
