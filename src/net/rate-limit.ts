/**
 * Client-side rate limiting for the bibliographic APIs.
 *
 * The limiter is a sliding-window log: a request may start when fewer than
 * `requestsPerWindow` requests started in the last `windowMs` (plus a small
 * safety margin). Requests are NOT serialised: up to the allowed number start
 * at once and run concurrently, so a large search is paced by the API's rate
 * limit and not by its response time. Any window of `windowMs` at the server
 * sees at most `requestsPerWindow` request starts, as long as the network
 * delays of two requests differ by less than the margin. A request's start is
 * recorded when its slot is granted and recorded again when Node's fetch
 * writes it to the socket (request-sent.ts), so that a request that leaves
 * late does not share its window with the ones granted after it.
 */
import { whenSent } from './request-sent.ts'

export interface RateLimiterOptions {
  /** Allowed average rate, e.g. 3 for NCBI without a key, 1/3 for arXiv. */
  requestsPerSecond: number
  /** Cap on requests in flight at once (Crossref asks for this); unlimited by default. */
  maxConcurrent?: number
  /**
   * Extra spacing added to each window so that jitter between the client's
   * clock and the server's arrival times cannot push two windows' worth of
   * requests into one (a request on a fresh connection, or sent while the
   * event loop is busy parsing, arrives later than one on a warm connection).
   * Default: 10% of the window, at least 50 ms.
   */
  safetyMarginMs?: number
}

export interface RateLimiterStats {
  /** Slots granted so far. */
  granted: number
  /** Total time callers spent waiting for a slot, in ms. */
  waitedMs: number
  /** Requests currently holding a slot (between acquire and release). */
  active: number
}

export interface RateLimiter {
  /** How many requests may start within one window... */
  readonly requestsPerWindow: number
  /** ...of this many milliseconds (without the safety margin). */
  readonly windowMs: number
  readonly requestsPerSecond: number
  /**
   * Waits until a request may start; resolves to a `release` function to call
   * when the request (including reading its body) is finished. Rejects with
   * the signal's reason if the signal aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<() => void>
  /** Runs `task` in a slot (acquire, run, release). */
  run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>
  stats(): RateLimiterStats
}

/** A granted slot: `release` when the request is finished; `sent` when it leaves (moves its start there). */
export interface Slot {
  release(): void
  sent(): void
}

export interface Waiter {
  resolve: (slot: Slot) => void
  reject: (reason: unknown) => void
  queuedAt: number
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * Waits in `queue` for `pump` to resolve the waiter with a slot; taken out of
 * the queue and rejected with the signal's reason if it aborts first.
 */
export function waitInQueue(queue: Waiter[], signal: AbortSignal | undefined, pump: () => void): Promise<Slot> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise((resolve, reject) => {
    const waiter: Waiter = { resolve, reject, queuedAt: performance.now(), signal }
    if (signal) {
      waiter.onAbort = () => {
        const index = queue.indexOf(waiter)
        if (index >= 0) queue.splice(index, 1)
        reject(signal.reason)
      }
      signal.addEventListener('abort', waiter.onAbort, { once: true })
    }
    queue.push(waiter)
    pump()
  })
}

/** Runs `task` between acquiring a slot and releasing it; the requests it sends move the slot's start to their sending. */
export async function runInSlot<T>(acquireSlot: (signal?: AbortSignal) => Promise<Slot>, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const slot = await acquireSlot(signal)
  try {
    return await whenSent(slot.sent, task)
  } finally {
    slot.release()
  }
}

/**
 * Converts a rate into a whole number of requests per window: 3/s -> 3 per
 * 1000 ms, 10/s -> 10 per 1000 ms, 1/3 s -> 1 per 3000 ms, 2.5/s -> 2 per 800 ms.
 */
function windowFor(requestsPerSecond: number): { requestsPerWindow: number; windowMs: number } {
  const requestsPerWindow = Math.max(1, Math.floor(requestsPerSecond))
  return { requestsPerWindow, windowMs: (requestsPerWindow * 1000) / requestsPerSecond }
}

export interface LimiterShape {
  requestsPerWindow: number
  windowMs: number
  /** The window with its safety margin: a request may start when fewer than requestsPerWindow started within it. */
  spacingMs: number
  maxConcurrent: number
}

/** Validates the options and gives the window a limiter enforces (throws RangeError). */
export function limiterShape(options: RateLimiterOptions): LimiterShape {
  const { requestsPerSecond } = options
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) {
    throw new RangeError(`requestsPerSecond must be a positive number, got ${requestsPerSecond}`)
  }
  const maxConcurrent = options.maxConcurrent ?? Infinity
  if (!(maxConcurrent >= 1)) throw new RangeError(`maxConcurrent must be at least 1, got ${maxConcurrent}`)
  const { requestsPerWindow, windowMs } = windowFor(requestsPerSecond)
  const marginMs = options.safetyMarginMs ?? Math.max(50, windowMs * 0.1)
  return { requestsPerWindow, windowMs, spacingMs: windowMs + marginMs, maxConcurrent }
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { requestsPerSecond } = options
  const { requestsPerWindow, windowMs, spacingMs, maxConcurrent } = limiterShape(options)

  /** Starts within the last `spacingMs` (monotonic clock): granted, then moved to when the request was sent. */
  let starts: Array<{ at: number }> = []
  const queue: Waiter[] = []
  let timer: NodeJS.Timeout | undefined
  let active = 0
  let granted = 0
  let waitedMs = 0

  function makeSlot(start: { at: number }): Slot {
    let released = false
    return {
      release: () => {
        if (released) return
        released = true
        active--
        schedulePump()
      },
      sent: () => { start.at = Math.max(start.at, performance.now()) }
    }
  }

  function schedulePump(): void {
    if (timer) {
      clearTimeout(timer)
      timer = undefined
    }
    pump()
  }

  /** When the next request may start: `spacingMs` after the `requestsPerWindow`-th latest start. */
  function readyAt(now: number): number {
    starts = starts.filter((s) => s.at > now - spacingMs)
    if (starts.length < requestsPerWindow) return -Infinity
    // Sent late, an earlier grant may now start after a later one: order by start.
    const latest = starts.map((s) => s.at).sort((a, b) => b - a)
    return latest[requestsPerWindow - 1] + spacingMs
  }

  function pump(): void {
    while (queue.length > 0) {
      if (active >= maxConcurrent) return // a release will pump again
      const now = performance.now()
      const ready = readyAt(now)
      if (now < ready) {
        timer = setTimeout(() => {
          timer = undefined
          pump()
        }, Math.ceil(ready - now))
        return
      }
      const waiter = queue.shift()!
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort)
      const start = { at: now }
      starts.push(start)
      active++
      granted++
      waitedMs += now - waiter.queuedAt
      waiter.resolve(makeSlot(start))
    }
  }

  const acquireSlot = (signal?: AbortSignal): Promise<Slot> => waitInQueue(queue, signal, () => { if (!timer) pump() })
  const acquire = async (signal?: AbortSignal): Promise<() => void> => (await acquireSlot(signal)).release
  const run = <T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> => runInSlot(acquireSlot, task, signal)

  return {
    requestsPerWindow,
    windowMs,
    requestsPerSecond,
    acquire,
    run,
    stats: () => ({ granted, waitedMs, active })
  }
}

/** Where connectors get the limiter of an API: one per key, shared by every task that uses it. */
export interface RateLimiterRegistry {
  limiter(key: string, options: RateLimiterOptions): RateLimiter
  /** Stops the registry's timers and refuses its waiting requests (limiters from it fail afterwards). */
  close(): void
}

/** The key of one limiter: the API's key with the rate and concurrency it is used at. */
export function limiterKey(key: string, options: RateLimiterOptions): string {
  return `${key}|${options.requestsPerSecond}|${options.maxConcurrent ?? ''}`
}

const shared = new Map<string, RateLimiter>()

/**
 * One limiter per key for the whole process, so that several searches against
 * the same API (same base URL and credentials) share its rate limit instead
 * of each using the full rate. Limits between processes are not coordinated:
 * with Redis, `createRedisRateLimiters` (redis-rate-limit.ts) shares them.
 */
export function sharedRateLimiter(key: string, options: RateLimiterOptions): RateLimiter {
  const fullKey = limiterKey(key, options)
  let limiter = shared.get(fullKey)
  if (!limiter) {
    limiter = createRateLimiter(options)
    shared.set(fullKey, limiter)
  }
  return limiter
}

/** The per-process limiters (no Redis). */
export const processRateLimiters: RateLimiterRegistry = { limiter: sharedRateLimiter, close: () => {} }
