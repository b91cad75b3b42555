/**
 * Typed errors of the HTTP layer. Every message and `url` property goes
 * through `redactUrl`, so API keys never reach logs, job records or users.
 */

/** Query parameters whose values are secrets and must not be shown. */
const SECRET_PARAMS = /^(api[_-]?key|apikey|key|token|access[_-]?token|secret|password|sig|signature)$/i

/** The URL with secret query parameter values and embedded credentials replaced by "***". */
export function redactUrl(url: string | URL): string {
  let parsed: URL
  try {
    parsed = new URL(String(url))
  } catch {
    return String(url).replace(/([?&](?:api[_-]?key|apikey|key|token)=)[^&#]*/gi, '$1***')
  }
  if (parsed.username) parsed.username = '***'
  if (parsed.password) parsed.password = '***'
  for (const name of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.test(name)) parsed.searchParams.set(name, '***')
  }
  return parsed.toString()
}

/** The server answered with a status that is not a success (after any retries). */
export class UpstreamHttpError extends Error {
  override name = 'UpstreamHttpError'
  constructor(
    readonly status: number,
    readonly url: string,
    /** Start of the response body, for diagnosis (at most 500 characters). */
    readonly bodySnippet: string = '',
    /** Milliseconds the server asked to wait (Retry-After), when it said. */
    readonly retryAfterMs?: number,
    /** Number of attempts made, including the first. */
    readonly attempts: number = 1
  ) {
    super(`HTTP ${status} from ${url}${attempts > 1 ? ` after ${attempts} attempts` : ''}${bodySnippet ? `: ${bodySnippet.slice(0, 200)}` : ''}`)
  }
}

/** The connection failed (DNS, refused, reset) on every attempt. */
export class NetworkError extends Error {
  override name = 'NetworkError'
  constructor(readonly url: string, message: string, readonly attempts: number = 1, options?: { cause?: unknown }) {
    super(`Network error for ${url}${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${message}`, options)
  }
}

/** No complete answer arrived within the time limit, on every attempt. */
export class RequestTimeoutError extends NetworkError {
  override name = 'RequestTimeoutError'
  constructor(url: string, readonly timeoutMs: number, attempts: number = 1) {
    super(url, `no complete answer within ${timeoutMs} ms`, attempts)
  }
}

/** The server answered 2xx but the body is not in the documented format. */
export class ResponseFormatError extends Error {
  override name = 'ResponseFormatError'
  constructor(readonly url: string, message: string, options?: { cause?: unknown }) {
    super(`Unexpected response from ${url}: ${message}`, options)
  }
}

/** The API answered with an error document of its own (query syntax error, unknown parameter…). */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(readonly url: string, message: string) {
    super(`API error from ${url}: ${message}`)
  }
}
