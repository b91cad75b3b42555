/**
 * Rate limits shared by every process that uses one Redis: the web process
 * and any number of workers then stay together within an API's limit (two
 * workers with a limiter each would send PubMed 6 requests/s and get the
 * service's address blocked).
 *
 * The same sliding-window log as the per-process limiter (rate-limit.ts),
 * kept in Redis and checked and updated by one Lua script, so that the check
 * "fewer than N starts within the window" and recording the start are atomic
 * across processes. Times come from the Redis server's clock (TIME), so the
 * processes' clocks need not agree; a granted start is moved to the Redis
 * server's time again when the request is written to its socket
 * (request-sent.ts). A cap on requests in flight is a sorted
 * set of leases: released when the request ends, expired after `leaseMs` if
 * its process died holding one.
 *
 * Each process keeps its waiting requests in a local queue, and only the
 * first of them asks Redis, sleeping for the time the script says the next
 * start is allowed (or `pollMs` while the concurrency cap is reached by other
 * processes). Chosen over a library (bottleneck's Redis store) to add no
 * dependency: ioredis is already here, and the script is twenty lines.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { limiterKey, limiterShape, runInSlot, waitInQueue, type RateLimiter, type RateLimiterOptions, type RateLimiterRegistry, type Slot, type Waiter } from './rate-limit.ts'

/** KEYS: starts, leases. ARGV: requestsPerWindow, spacingMs, maxConcurrent (0: none), leaseMs, id. */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local maxConcurrent = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - spacing)
if maxConcurrent > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= maxConcurrent then return -1 end
end
local count = redis.call('ZCARD', KEYS[1])
if count >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  return math.max(1, math.ceil(tonumber(oldest[2]) + spacing - now))
end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], math.ceil(spacing) + 1000)
if maxConcurrent > 0 then
  redis.call('ZADD', KEYS[2], now + leaseMs, ARGV[5])
  redis.call('PEXPIRE', KEYS[2], leaseMs + 1000)
end
return 0
`

/** KEYS: starts. ARGV: id. Moves a granted start to the Redis server's current time (if still in the window). */
const RESTAMP = `
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], 'XX', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[1])
return 0
`

export interface RedisRateLimitersOptions {
  /** Prefix of the Redis keys (the service uses QUEUE_PREFIX). */
  prefix: string
  /** How long a slot counts against `maxConcurrent` if its process dies before releasing it (default 120 s). */
  leaseMs?: number
  /** How often a request waiting only for the concurrency cap asks again (default 50 ms). */
  pollMs?: number
}

export class RateLimiterClosedError extends Error {
  constructor() { super('rate limiter closed: the process is shutting down') }
}

/**
 * Limiters kept in Redis, one per API key. The registry uses `redis` but does
 * not own it: whoever created the connection closes it, after `close()`.
 */
export function createRedisRateLimiters(redis: Redis, options: RedisRateLimitersOptions): RateLimiterRegistry {
  const leaseMs = options.leaseMs ?? 120_000
  const pollMs = options.pollMs ?? 50
  const limiters = new Map<string, RateLimiter & { close(): void }>()
  let closed = false

  function create(key: string, limiterOptions: RateLimiterOptions): RateLimiter & { close(): void } {
    const { requestsPerWindow, windowMs, spacingMs, maxConcurrent } = limiterShape(limiterOptions)
    const capped = Number.isFinite(maxConcurrent)
    /** Half the safety margin: how late an answer may arrive before the start is recorded again. */
    const maxLagMs = Math.max(20, (spacingMs - windowMs) / 2)
    // Hashed: the key names a base URL, which may carry credentials.
    const name = `${options.prefix}:ratelimit:${createHash('sha256').update(key).digest('hex').slice(0, 32)}`
    const startsKey = `${name}:starts`
    const leasesKey = `${name}:leases`
    const queue: Waiter[] = []
    let timer: NodeJS.Timeout | undefined
    let asking = false
    let active = 0
    let granted = 0
    let waitedMs = 0

    const makeSlot = (id: string): Slot => {
      let released = false
      return {
        release: () => {
          if (released) return
          released = true
          active--
          if (capped) redis.zrem(leasesKey, id).catch(() => undefined) // the lease expires anyway
          wake()
        },
        // The request is being written to its socket now: its start is now (Redis unreachable: the grant's time stays).
        sent: () => { redis.eval(RESTAMP, 1, startsKey, id).catch(() => undefined) }
      }
    }

    function wake(): void {
      if (timer) {
        clearTimeout(timer)
        timer = undefined
      }
      void pump()
    }

    async function pump(): Promise<void> {
      if (asking || closed) return
      asking = true
      try {
        while (queue.length > 0 && !closed) {
          if (active >= maxConcurrent) return // a local release wakes the queue
          const id = randomUUID()
          let wait: number
          try {
            let asked = performance.now()
            wait = Number(await redis.eval(ACQUIRE, 2, startsKey, leasesKey, requestsPerWindow, spacingMs, capped ? maxConcurrent : 0, leaseMs, id))
            // A start is recorded at the Redis server's time; when this process got the answer late (a busy event loop,
            // a starved CPU), the request would reach the API later than recorded: record it again, closer to the send.
            for (let tries = 0; wait === 0 && performance.now() - asked > maxLagMs && tries < 5; tries++) {
              asked = performance.now()
              await redis.eval(RESTAMP, 1, startsKey, id)
            }
          } catch (error) {
            // Redis unreachable: the waiting requests fail rather than go out unmetered.
            for (const waiter of queue.splice(0)) settle(waiter).reject(error)
            return
          }
          if (wait !== 0) {
            timer = setTimeout(() => {
              timer = undefined
              void pump()
            }, wait < 0 ? pollMs : wait)
            return
          }
          const slot = makeSlot(id)
          active++
          const waiter = queue.shift()
          if (!waiter) { // aborted while Redis answered: give the slot back
            slot.release()
            continue
          }
          granted++
          waitedMs += performance.now() - waiter.queuedAt
          settle(waiter).resolve(slot)
        }
      } finally {
        asking = false
      }
    }

    function settle(waiter: Waiter): Waiter {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener('abort', waiter.onAbort)
      return waiter
    }

    const acquireSlot = (signal?: AbortSignal): Promise<Slot> => closed
      ? Promise.reject(new RateLimiterClosedError())
      : waitInQueue(queue, signal, () => { if (!timer) void pump() })
    const acquire = async (signal?: AbortSignal): Promise<() => void> => (await acquireSlot(signal)).release
    const run = <T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> => runInSlot(acquireSlot, task, signal)

    return {
      requestsPerWindow,
      windowMs,
      requestsPerSecond: limiterOptions.requestsPerSecond,
      acquire,
      run,
      stats: () => ({ granted, waitedMs, active }),
      close: () => {
        if (timer) clearTimeout(timer)
        timer = undefined
        for (const waiter of queue.splice(0)) settle(waiter).reject(new RateLimiterClosedError())
      }
    }
  }

  return {
    limiter(key, limiterOptions) {
      const fullKey = limiterKey(key, limiterOptions)
      let limiter = limiters.get(fullKey)
      if (!limiter) {
        limiter = create(fullKey, limiterOptions)
        limiters.set(fullKey, limiter)
      }
      return limiter
    },
    close() {
      closed = true
      for (const limiter of limiters.values()) limiter.close()
      limiters.clear()
    }
  }
}
