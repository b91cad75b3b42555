/**
 * A small local HTTP server for testing API clients: records every request
 * (arrival time included, for rate-limit checks), can enforce a rate limit
 * the way the real APIs do (429 past it), and can inject faults (error
 * statuses, Retry-After, slow or malformed answers) before the handler runs.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { RateLimiter } from '../../../src/net/rate-limit.ts'
import { fetchText } from '../../../src/net/http.ts'

export interface RecordedRequest {
  method: string
  /** Path without the query string, relative to the server root. */
  path: string
  query: URLSearchParams
  headers: http.IncomingHttpHeaders
  body: string
  /** Form fields of an application/x-www-form-urlencoded POST body merged over the query. */
  params: URLSearchParams
  /** Arrival time, performance.now() milliseconds. */
  at: number
}

export type Handler = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>

export interface Fault {
  status?: number
  headers?: Record<string, string>
  body?: string
  /** Wait this long before answering (or before handing to the handler when no status). */
  delayMs?: number
  /** Only apply to requests whose path ends with this. */
  pathEndsWith?: string
}

export interface ServerOptions {
  host?: string
  /** Answer 429 when more than `requests` arrived within any `windowMs`. */
  rateLimit?: { requests: number; windowMs: number; retryAfterSeconds?: number; body?: string }
}

export interface ApiServer {
  /** http://host:port (no trailing slash). */
  origin: string
  port: number
  requests: RecordedRequest[]
  /** Requests answered 429 by the rate limit. */
  rejected: RecordedRequest[]
  /** Queue faults applied, in order, to the next matching requests. */
  injectFaults(...faults: Fault[]): void
  /** Highest number of requests in flight at once so far. */
  maxInFlight(): number
  close(): Promise<void>
  server: http.Server
}

export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

export function sendText(res: http.ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers })
  res.end(body)
}

export function sendXml(res: http.ServerResponse, status: number, body: string, contentType = 'text/xml; charset=utf-8'): void {
  sendText(res, status, body, contentType)
}

/** The largest number of timestamps (ms) falling within any window of `windowMs` (half-open). */
export function maxInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end] - sorted[start] >= windowMs) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

/** The same limiter, noting in `starts` when each request it lets through starts (performance.now()). */
export function recording(limiter: RateLimiter, starts: number[]): RateLimiter {
  return { ...limiter, run: (task, signal) => limiter.run(() => { starts.push(performance.now()); return task() }, signal) }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * A request sent 0.6 s after its slot is granted (as by a busy event loop), through `late`, then one through
 * `next`, to a server that refuses a second request within 1 s. The limiters must space requests by 1.3 s
 * (1 request/s, 300 ms margin): counted from the grant, the second would reach the server 0.7 s after the first.
 * Gives the requests the server refused and the time between the two arrivals.
 */
export async function sendLateThenNext(t: { teardown(fn: () => unknown): void }, late: RateLimiter, next: RateLimiter): Promise<{ rejected: number; gapMs: number }> {
  const server = await startApiServer((_req, res) => sendText(res, 200, 'ok'), { rateLimit: { requests: 1, windowMs: 1000 } })
  t.teardown(server.close)
  await fetchText(`${server.origin}/warm-up`) // loads Node's HTTP client, outside the window
  await sleep(1000)
  const lateLimiter: RateLimiter = { ...late, run: (task, signal) => late.run(async () => { await sleep(600); return task() }, signal) }
  const first = fetchText(`${server.origin}/late`, {}, { rateLimiter: lateLimiter, retries: 0 })
  await sleep(100) // granted before the next asks (in another process, the order is not the queue's)
  await Promise.all([first, fetchText(`${server.origin}/next`, {}, { rateLimiter: next, retries: 0 })])
  const [, lateAt, nextAt] = server.requests.map((r) => r.at)
  return { rejected: server.rejected.length, gapMs: nextAt - lateAt }
}

export async function startApiServer(handler: Handler, options: ServerOptions = {}): Promise<ApiServer> {
  const requests: RecordedRequest[] = []
  const rejected: RecordedRequest[] = []
  const faults: Fault[] = []
  const accepted: number[] = []
  let inFlight = 0
  let maxInFlight = 0

  const server = http.createServer((req, res) => {
    const at = performance.now()
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    res.on('close', () => inFlight--)
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const body = Buffer.concat(chunks).toString('utf8')
      const params = new URLSearchParams(url.searchParams)
      if (/application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        for (const [k, v] of new URLSearchParams(body)) params.append(k, v)
      }
      const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, params, at }
      requests.push(recorded)
      try {
        if (options.rateLimit) {
          const { requests: limit, windowMs } = options.rateLimit
          while (accepted.length > 0 && at - accepted[0] >= windowMs) accepted.shift()
          if (accepted.length >= limit) {
            rejected.push(recorded)
            const retryAfter = String(options.rateLimit.retryAfterSeconds ?? 1)
            sendText(res, 429, options.rateLimit.body ?? '{"error":"API rate limit exceeded"}', 'application/json', { 'retry-after': retryAfter })
            return
          }
          accepted.push(at)
        }
        const faultIndex = faults.findIndex((f) => !f.pathEndsWith || url.pathname.endsWith(f.pathEndsWith))
        if (faultIndex >= 0) {
          const fault = faults.splice(faultIndex, 1)[0]
          if (fault.delayMs) await sleep(fault.delayMs)
          if (fault.status !== undefined || fault.body !== undefined) {
            if (!res.destroyed) sendText(res, fault.status ?? 200, fault.body ?? '', fault.headers?.['content-type'] ?? 'text/plain', fault.headers)
            return
          }
        }
        if (!res.destroyed) await handler(recorded, res)
      } catch (error) {
        if (!res.headersSent) sendText(res, 500, `test server error: ${(error as Error).message}`)
        else res.destroy()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, options.host ?? '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const host = options.host ?? '127.0.0.1'
  return {
    origin: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    rejected,
    server,
    injectFaults: (...list) => faults.push(...list),
    maxInFlight: () => maxInFlight,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
