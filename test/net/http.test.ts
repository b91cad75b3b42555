import t from 'tap'
import { fetchJson, fetchText, parseRetryAfter, requestWithRetry } from '../../src/net/http.ts'
import { UpstreamHttpError, NetworkError, RequestTimeoutError, ResponseFormatError, redactUrl } from '../../src/net/errors.ts'
import { sendJson, sendText, startApiServer } from '../support/api-servers/server.ts'

const fast = { baseDelayMs: 10, maxDelayMs: 50 }

t.test('Retry-After is read as seconds or as an HTTP date', async (t) => {
  t.equal(parseRetryAfter('2'), 2000)
  t.equal(parseRetryAfter('0'), 0)
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:03 GMT', now), 3000)
  t.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0, 'a date in the past means no wait')
  t.equal(parseRetryAfter('soon'), undefined)
  t.equal(parseRetryAfter(null), undefined)
})

t.test('a 429 with Retry-After is waited out, then the request succeeds', async (t) => {
  const server = await startApiServer((_req, res) => sendJson(res, 200, { ok: true }))
  t.teardown(server.close)
  server.injectFaults({ status: 429, headers: { 'retry-after': '1' }, body: 'slow down' })
  const retries: number[] = []
  const body = await fetchJson<{ ok: boolean }>(`${server.origin}/x`, {}, { ...fast, retries: 2, onRetry: (info) => retries.push(info.delayMs) })
  t.same(body, { ok: true })
  t.equal(server.requests.length, 2)
  t.same(retries, [1000], 'the wait was Retry-After\'s, not the backoff\'s')
  const gap = server.requests[1].at - server.requests[0].at
  t.ok(gap >= 950, `second attempt waited for Retry-After (gap ${gap.toFixed(0)} ms)`)
})

t.test('a Retry-After given as an HTTP date is honoured', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 200, 'fine'))
  t.teardown(server.close)
  server.injectFaults({ status: 503, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() } })
  const { text } = await fetchText(`${server.origin}/x`, {}, { ...fast, retries: 1 })
  t.equal(text, 'fine')
  const gap = server.requests[1].at - server.requests[0].at
  t.ok(gap >= 400, `waited until the date (gap ${gap.toFixed(0)} ms; dates have one-second resolution)`)
})

t.test('a Retry-After longer than the caller accepts fails at once', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 200, 'fine'))
  t.teardown(server.close)
  server.injectFaults({ status: 429, headers: { 'retry-after': '3600' } })
  const error = await fetchText(`${server.origin}/x`, {}, { ...fast, retries: 3, maxRetryAfterMs: 5000 }).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.equal(error.status, 429)
  t.equal(error.retryAfterMs, 3_600_000)
  t.equal(server.requests.length, 1)
})

t.test('5xx is retried with backoff, then reported as a failure', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 503, 'Service Unavailable'))
  t.teardown(server.close)
  const error = await requestWithRetry(`${server.origin}/x`, {}, { retries: 2, baseDelayMs: 100, maxDelayMs: 1000 }).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.equal(error.status, 503)
  t.equal(error.attempts, 3)
  t.equal(server.requests.length, 3)
  t.match(error.bodySnippet, /Service Unavailable/)
  const gaps = [server.requests[1].at - server.requests[0].at, server.requests[2].at - server.requests[1].at]
  t.ok(gaps[0] >= 45, `first backoff at least half the base delay (${gaps[0].toFixed(0)} ms)`)
  t.ok(gaps[1] >= 95, `second backoff doubled (${gaps[1].toFixed(0)} ms)`)
})

t.test('other 4xx answers are not retried', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 400, 'bad query'))
  t.teardown(server.close)
  const error = await requestWithRetry(`${server.origin}/x`, {}, { ...fast, retries: 3 }).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.equal(error.status, 400)
  t.equal(server.requests.length, 1)
})

t.test('slow answers hit the time limit, are retried, then fail with a timeout error', async (t) => {
  // The server never answers (its connections close at teardown): only the time limit ends the attempts.
  // What matters is the order: each attempt is abandoned by the client (its request closed unanswered)
  // before the next one arrives. Wall-clock gaps between arrivals depend on the machine's load.
  const events: string[] = []
  const server = await startApiServer((_req, res) => {
    events.push(`request ${events.filter((e) => e.startsWith('request')).length + 1}`)
    const n = events.length
    res.on('close', () => events.push(`abandoned ${events.slice(0, n).filter((e) => e.startsWith('request')).length}`))
  })
  t.teardown(server.close)
  const error = await fetchText(`${server.origin}/x`, {}, { ...fast, retries: 1, timeoutMs: 200 }).catch((e) => e)
  t.type(error, RequestTimeoutError)
  t.equal(error.attempts, 2)
  t.equal(server.requests.length, 2)
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.same(events.slice(0, 3), ['request 1', 'abandoned 1', 'request 2'], 'the first attempt was abandoned at its time limit, then retried')
})

t.test('a body that stalls after the headers counts against the time limit', async (t) => {
  const server = await startApiServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"partial":')
  })
  t.teardown(server.close)
  const error = await fetchJson(`${server.origin}/x`, {}, { ...fast, retries: 0, timeoutMs: 300 }).catch((e) => e)
  t.type(error, RequestTimeoutError)
})

t.test('connection failures are retried then reported as network errors', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 200, 'x'))
  const origin = server.origin
  await server.close()
  const error = await requestWithRetry(`${origin}/x`, {}, { ...fast, retries: 2 }).catch((e) => e)
  t.type(error, NetworkError)
  t.notOk(error instanceof RequestTimeoutError)
  t.equal(error.attempts, 3)
  t.match(error.message, /ECONNREFUSED/)
})

t.test('a malformed JSON body is a clear format error and is not retried', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 200, '<html>Service maintenance</html>', 'text/html'))
  t.teardown(server.close)
  const error: ResponseFormatError = await fetchJson(`${server.origin}/x`, {}, { ...fast, retries: 3 }).then(() => { throw new Error('expected a failure') }, (e: ResponseFormatError) => e)
  t.type(error, ResponseFormatError)
  t.match(error.message, /not JSON.*Service maintenance/)
  t.equal(server.requests.length, 1)
})

t.test('errors never show API keys', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 403, 'forbidden'))
  t.teardown(server.close)
  const error = await requestWithRetry(`${server.origin}/x?term=a&api_key=SECRET123&email=a%40b.org`, {}, fast).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.notMatch(error.message, /SECRET123/)
  t.notMatch(error.url, /SECRET123/)
  t.match(error.url, /term=a/)
  t.equal(redactUrl('https://u:pw@h.org/p?key=1&x=2'), 'https://***:***@h.org/p?key=***&x=2')
})

t.test('the caller can abort while a retry is waiting', async (t) => {
  const server = await startApiServer((_req, res) => sendText(res, 429, 'later', 'text/plain', { 'retry-after': '300' }))
  t.teardown(server.close)
  const controller = new AbortController()
  // Aborted once the retry waits (300 s, more than tap's time limit of a test file): only the abort ends the wait.
  const onRetry = () => setTimeout(() => controller.abort(new Error('user cancelled')), 50)
  const error = await requestWithRetry(`${server.origin}/x`, {}, { retries: 3, maxRetryAfterMs: 300_000, signal: controller.signal, onRetry }).catch((e) => e)
  t.equal(error.message, 'user cancelled')
  t.equal(server.requests.length, 1)
})

t.test('a compressed body inflating past maxBodyBytes is refused, not read into memory', async (t) => {
  const { gzipSync } = await import('node:zlib')
  const bomb = gzipSync(Buffer.alloc(64 << 20, ' '), { level: 9 })
  const server = await startApiServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bomb.length) })
    res.end(bomb)
  })
  t.teardown(server.close)
  t.ok(bomb.length < 1 << 20, `64 MiB in ${bomb.length} bytes`)
  await t.rejects(fetchJson(`${server.origin}/x`, {}, { ...fast, maxBodyBytes: 1 << 20 }),
    { name: 'ResponseFormatError', message: /body larger than 1048576 bytes once decompressed/ })
  await t.rejects(fetchText(`${server.origin}/x`, {}, { ...fast, maxBodyBytes: 1 << 20 }), { name: 'ResponseFormatError' })
  t.equal(server.requests.length, 2, 'not retried')
  const { text } = await fetchText(`${server.origin}/x`, {}, { ...fast, maxBodyBytes: 256 << 20 })
  t.equal(text.length, 64 << 20, 'read whole under a larger limit')
})
