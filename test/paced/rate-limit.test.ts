import t from 'tap'
import { createRateLimiter, sharedRateLimiter } from '../../src/net/rate-limit.ts'
import { fetchText } from '../../src/net/http.ts'
import { maxInWindow, recording, sendText, sendLateThenNext, startApiServer } from '../support/api-servers/server.ts'

t.test('rates convert to whole requests per window', async (t) => {
  t.match(createRateLimiter({ requestsPerSecond: 3 }), { requestsPerWindow: 3, windowMs: 1000 })
  t.match(createRateLimiter({ requestsPerSecond: 10 }), { requestsPerWindow: 10, windowMs: 1000 })
  t.match(createRateLimiter({ requestsPerSecond: 1 / 3 }), { requestsPerWindow: 1, windowMs: 3000 })
  t.match(createRateLimiter({ requestsPerSecond: 2.5 }), { requestsPerWindow: 2, windowMs: 800 })
  t.throws(() => createRateLimiter({ requestsPerSecond: 0 }), RangeError)
})

t.test('requests run concurrently up to the rate and never exceed it at the server', async (t) => {
  // Each answer takes 600 ms: one-after-another pacing would need 12 × 0.6 s;
  // concurrent starts paced at 4/s need about (12 / 4 − 1) × 1.05 s + 0.6 s.
  const server = await startApiServer(async (_req, res) => {
    await new Promise((r) => setTimeout(r, 600))
    sendText(res, 200, 'ok')
  })
  t.teardown(server.close)
  // Start times as the client sends them: the server shares this process's event loop, so its arrival times bunch when the
  // loop is busy; and a first request, which loads Node's HTTP client, is sent first so that loading it delays nothing.
  await fetchText(`${server.origin}/warm-up`)
  const limiter = createRateLimiter({ requestsPerSecond: 4 })
  const starts: number[] = []
  await Promise.all(Array.from({ length: 12 }, (_, i) => fetchText(`${server.origin}/r${i}`, {}, { rateLimiter: recording(limiter, starts) })))
  t.equal(server.requests.length, 13)
  t.ok(maxInWindow(starts, 1000) <= 4, `at most 4 starts in any 1 s window (saw ${maxInWindow(starts, 1000)})`)
  // Paced by the rate, not by the response time: requests started while others were still being answered.
  t.ok(server.maxInFlight() >= 3, `requests overlapped (max in flight ${server.maxInFlight()})`)
  t.ok(starts[11] - starts[0] >= 2000, `not faster than the rate allows: 12 starts at 4/s span two full windows (${(starts[11] - starts[0]).toFixed(0)} ms)`)
  t.equal(limiter.stats().granted, 12)
  t.equal(limiter.stats().active, 0)
})

t.test('a fractional rate spaces single requests by the window', async (t) => {
  const limiter = createRateLimiter({ requestsPerSecond: 1 / 0.4, safetyMarginMs: 20 }) // 2 per 800 ms
  const times: number[] = []
  await Promise.all(Array.from({ length: 5 }, () => limiter.run(async () => { times.push(performance.now()) })))
  t.ok(maxInWindow(times, 800) <= 2, 'at most 2 per 800 ms')
  t.ok(times[4] - times[0] >= 1600, 'five requests span two full windows')
})

t.test('maxConcurrent caps requests in flight', async (t) => {
  const limiter = createRateLimiter({ requestsPerSecond: 100, maxConcurrent: 2 })
  let inFlight = 0
  let peak = 0
  await Promise.all(Array.from({ length: 8 }, () => limiter.run(async () => {
    inFlight++
    peak = Math.max(peak, inFlight)
    await new Promise((r) => setTimeout(r, 30))
    inFlight--
  })))
  t.equal(peak, 2)
})

t.test('a waiting request can be aborted and frees its place', async (t) => {
  const limiter = createRateLimiter({ requestsPerSecond: 1, safetyMarginMs: 0 })
  const release = await limiter.acquire()
  release()
  const controller = new AbortController()
  const waiting = limiter.acquire(controller.signal)
  controller.abort(new Error('stop'))
  await t.rejects(waiting, { message: 'stop' })
  const next = await limiter.acquire()
  next()
  t.equal(limiter.stats().granted, 2, 'the aborted request took no slot: the next one took the one it waited for')
})

t.test('a request sent late starts its window when it is sent, not when its slot was granted', async (t) => {
  const limiter = createRateLimiter({ requestsPerSecond: 1, safetyMarginMs: 300 })
  const { rejected, gapMs } = await sendLateThenNext(t, limiter, limiter)
  t.equal(rejected, 0, 'neither refused')
  t.ok(gapMs >= 1000, `the second reached the server a full window after the first (${gapMs.toFixed(0)} ms)`)
})

t.test('limiters are shared per key', async (t) => {
  const a = sharedRateLimiter('test-api|http://x', { requestsPerSecond: 3 })
  const b = sharedRateLimiter('test-api|http://x', { requestsPerSecond: 3 })
  const c = sharedRateLimiter('test-api|http://y', { requestsPerSecond: 3 })
  t.equal(a, b)
  t.not(a, c)
})
