import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { fetchText } from '../../src/net/http.ts'
import { createRedisRateLimiters, RateLimiterClosedError } from '../../src/net/redis-rate-limit.ts'
import { needsRedis, TEST_REDIS_URL } from '../helper.ts'
import { maxInWindow, recording, sendText, sendLateThenNext, startApiServer } from '../support/api-servers/server.ts'

/** Three registries on their own connections and one prefix: three processes sharing one Redis. */
function processes(t: { teardown(fn: () => unknown): void }, count = 3) {
  const prefix = `test-${randomBytes(4).toString('hex')}`
  return Array.from({ length: count }, () => {
    const redis = new Redis(TEST_REDIS_URL!)
    const registry = createRedisRateLimiters(redis, { prefix })
    t.teardown(async () => {
      registry.close()
      await redis.quit()
    })
    return registry
  })
}

t.test('limiters of several processes share one rate through Redis', { skip: needsRedis }, async (t) => {
  // 429 past 4 requests in any second, as the real APIs do; each answer takes 300 ms.
  const server = await startApiServer(async (_req, res) => {
    await new Promise((r) => setTimeout(r, 300))
    sendText(res, 200, 'ok')
  }, { rateLimit: { requests: 4, windowMs: 1000 } })
  t.teardown(server.close)
  // A first request loads Node's HTTP client, which would hold up the first starts; sent elsewhere, not to count against the limit.
  const other = await startApiServer((_req, res) => sendText(res, 200, 'ok'))
  await fetchText(`${other.origin}/warm-up`)
  await other.close()
  const limiters = processes(t).map((registry) => registry.limiter('test-api|shared', { requestsPerSecond: 4 }))
  const grants: number[] = []
  await Promise.all(limiters.flatMap((limiter, p) =>
    Array.from({ length: 6 }, (_, i) => fetchText(`${server.origin}/p${p}/r${i}`, {}, { rateLimiter: recording(limiter, grants), retries: 0 }))))
  t.equal(server.requests.length, 18, 'every request sent once')
  t.equal(server.rejected.length, 0, 'none refused for going over the limit')
  t.ok(maxInWindow(grants, 1000) <= 4, `at most 4 starts in any second across the three (saw ${maxInWindow(grants, 1000)})`)
  t.ok(server.maxInFlight() >= 2, `requests ran concurrently (max in flight ${server.maxInFlight()})`)
  t.same(limiters.map((l) => l.stats().granted), [6, 6, 6])
  t.same(limiters.map((l) => l.stats().active), [0, 0, 0])
})

t.test('a request one process sends late holds back the other processes from when it is sent', { skip: needsRedis }, async (t) => {
  const [one, two] = processes(t, 2).map((registry) => registry.limiter('test-api|late', { requestsPerSecond: 1, safetyMarginMs: 300 }))
  const { rejected, gapMs } = await sendLateThenNext(t, one, two)
  t.equal(rejected, 0, 'neither refused')
  t.ok(gapMs >= 1000, `the second reached the server a full window after the first (${gapMs.toFixed(0)} ms)`)
})

t.test('a cap on requests in flight holds across processes', { skip: needsRedis }, async (t) => {
  const server = await startApiServer(async (_req, res) => {
    await new Promise((r) => setTimeout(r, 50))
    sendText(res, 200, 'ok')
  })
  t.teardown(server.close)
  const limiters = processes(t, 2).map((registry) => registry.limiter('test-api|capped', { requestsPerSecond: 100, maxConcurrent: 1 }))
  await Promise.all(limiters.flatMap((limiter) =>
    Array.from({ length: 4 }, (_, i) => fetchText(`${server.origin}/r${i}`, {}, { rateLimiter: limiter, retries: 0 }))))
  t.equal(server.requests.length, 8)
  t.equal(server.maxInFlight(), 1, 'one request at a time across both processes')
})

t.test('a waiting request can be aborted; closing the registry refuses the rest', { skip: needsRedis }, async (t) => {
  const [registry] = processes(t, 1)
  const limiter = registry.limiter('test-api|slow', { requestsPerSecond: 0.2, safetyMarginMs: 0 })
  const first = await limiter.acquire()
  first()
  const controller = new AbortController()
  const aborted = limiter.acquire(controller.signal)
  controller.abort(new Error('stop'))
  await t.rejects(aborted, { message: 'stop' })
  const waiting = limiter.acquire()
  registry.close()
  const closed = await waiting.then(() => undefined, (error: unknown) => error)
  t.ok(closed instanceof RateLimiterClosedError, 'the waiting request is refused at close')
  await t.rejects(limiter.acquire(), { message: /rate limiter closed/ }, 'nothing is granted after close')
  t.equal(limiter.stats().granted, 1)
})
