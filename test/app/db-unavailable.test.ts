import t from 'tap'
import type { InjectOptions } from 'fastify'
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { databaseUnavailable } from '../../src/db/unavailable.ts'
import { build, needsServices, onFreePort, tempDir, userWithToken, waitFor } from '../helper.ts'

/** The answer to a request, or undefined if it has not come after a minute (the request hangs). */
async function answer(app: Awaited<ReturnType<typeof build>>, options: InjectOptions) {
  let timer: NodeJS.Timeout | undefined
  const hung = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), 60000) })
  try {
    return await Promise.race([app.inject(options), hung])
  } finally {
    clearTimeout(timer)
  }
}

t.test('a frozen or stopped database gives 503 with Retry-After, and the API recovers', { skip: needsServices }, async (t) => {
  const dir = path.join(await tempDir(t), 'pg')
  let server = await onFreePort((port) => startEmbeddedPostgres({ dataDir: dir, port }))
  const port = Number(new URL(server.url).port)
  t.teardown(() => server.stop())
  const app = await build(t, { DATABASE_URL: server.url, DATABASE_CONNECT_TIMEOUT_MS: '3000', DATABASE_STATEMENT_TIMEOUT_MS: '2500' })
  const alice = await userWithToken(app)
  const list = { url: '/api/projects', headers: alice.auth }
  t.equal((await app.inject(list)).statusCode, 200)

  const unavailable = (res: Awaited<ReturnType<typeof answer>>, what: string) => {
    t.equal(res?.statusCode, 503, `${what}: 503, not a hang or a 500`)
    t.ok(Number(res?.headers['retry-after']) > 0, 'with Retry-After')
    t.match(res?.json(), { statusCode: 503, error: 'Service Unavailable', message: /database/ })
    t.notMatch(res?.body, /SELECT|api_tokens|Query read timeout/, 'no SQL or driver internals')
  }

  // SIGSTOP the postmaster and its backends (each in a session of its own): connections open but nothing answers.
  const postmaster = server.pid!
  const frozenPids = [postmaster, ...execFileSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number)]
  const signal = (name: NodeJS.Signals) => { for (const pid of frozenPids) try { process.kill(pid, name) } catch { /* gone */ } }
  signal('SIGSTOP')
  t.teardown(() => signal('SIGCONT'))
  // Several at once: some use pooled connections (no answer to the query), others open new ones (no answer to the start-up).
  // (`/api/me` alone would be answered: the token's user is cached, src/auth/cache.ts; its tokens are read from the database.)
  const frozen = await Promise.all([list, list, list, { url: '/api/me/tokens', headers: alice.auth }].map((o) => answer(app, o)))
  for (const res of frozen) unavailable(res, 'frozen database')
  t.equal((await app.inject({ url: '/api/health/ready' })).statusCode, 503, 'readiness says so too')

  signal('SIGCONT')
  await waitFor(async () => (await app.inject(list)).statusCode === 200, 30000, 200)
  t.pass('answers again once the database is back')

  await server.stop()
  unavailable(await answer(app, list), 'stopped database')
  unavailable(await answer(app, { method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'During the outage' } }), 'write to a stopped database')

  server = await startEmbeddedPostgres({ dataDir: dir, port })
  await waitFor(async () => (await app.inject(list)).statusCode === 200, 30000, 200)
  t.same((await app.inject(list)).json().map((p: { name: string }) => p.name), [], 'nothing half-written by the refused request')
})

t.test('a slow statement of a request ends at the statement timeout with a 503', { skip: needsServices }, async (t) => {
  const app = await build(t, { DATABASE_STATEMENT_TIMEOUT_MS: '300' })
  const err = await app.db.execute('SELECT pg_sleep(5)').then(() => undefined, (e: unknown) => e)
  t.ok(databaseUnavailable(err), 'cancelled by the server (57014), seen as unavailable')
  const job = await app.jobDb.execute('SELECT pg_sleep(0.5) AS slept')
  t.equal(job.rows.length, 1, 'background jobs are not bounded by the request statement timeout')
})

t.test('errors that are not the database being unavailable stay what they are', async (t) => {
  t.notOk(databaseUnavailable(new Error('duplicate key value violates unique constraint')))
  t.notOk(databaseUnavailable(Object.assign(new Error('x'), { code: '23505' })))
  t.ok(databaseUnavailable(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))
  t.ok(databaseUnavailable(new AggregateError([Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })])))
})
