import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { hashToken } from '../../src/auth/tokens.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Auth = { authorization: string }

/** Asks until `refused` holds, at most `tries` times (no clock: a bounded number of attempts). */
async function until(ask: () => Promise<boolean>, tries = 400): Promise<number> {
  for (let i = 1; i <= tries; i++) {
    if (await ask()) return i
    await new Promise((r) => setTimeout(r, 25))
  }
  return -1
}

const status = async (app: FastifyInstance, url: string, headers: Auth, method: 'GET' | 'DELETE' | 'PUT' = 'GET', payload?: object) =>
  (await app.inject({ method, url, headers, payload })).statusCode

// Two web processes on one database, no Redis: PostgreSQL NOTIFY carries the invalidations.
t.test('token and membership caches across two processes', { skip: needsServices }, async (t) => {
  const a = await build(t)
  const b = await build(t, { DATABASE_URL: a.config.DATABASE_URL })
  t.ok(a.authCache?.active && b.authCache?.active, 'both listen')
  const admin = await userWithToken(a, undefined, true)
  const bob = await userWithToken(a)
  const project = (await a.inject({ method: 'POST', url: '/api/projects', headers: admin.auth, payload: { name: 'Cached' } })).json()
  const url = `/api/projects/${project.id}`
  t.equal(await status(a, `${url}/members`, admin.auth, 'PUT', { email: bob.user.email, role: 'reviewer' }), 200)

  await t.test('a removed member is refused by the other process', async (t) => {
    t.equal(await status(b, url, bob.auth), 200)
    t.equal(await status(b, url, bob.auth), 200)
    t.equal(b.authCache!.role(project.id, bob.user.id), 'reviewer', 'B answers the membership from memory')
    t.ok(b.authCache!.token(hashToken(bob.token)), 'and the token')
    t.equal(await status(a, `${url}/members/${bob.user.id}`, admin.auth, 'DELETE'), 204)
    t.equal(await status(a, url, bob.auth), 404, 'the process that removed him refuses at once')
    t.ok(await until(async () => await status(b, url, bob.auth) === 404) > 0, 'B refuses after the notification')
    for (let i = 0; i < 5; i++) t.equal(await status(b, url, bob.auth), 404, 'and keeps refusing')
    t.equal(await status(b, '/api/me', bob.auth), 200, 'his token still works')
  })

  await t.test('a role change reaches the other process', async (t) => {
    t.equal(await status(a, `${url}/members`, admin.auth, 'PUT', { email: bob.user.email, role: 'owner' }), 200)
    t.ok(await until(async () => (await b.inject({ url, headers: bob.auth })).json().role === 'owner') > 0, 'B sees him owner')
    t.equal(await status(a, `${url}/members`, admin.auth, 'PUT', { email: bob.user.email, role: 'viewer' }), 200)
    t.ok(await until(async () => (await b.inject({ url, headers: bob.auth })).json().role === 'viewer') > 0, 'then viewer')
    t.equal(await status(b, `${url}/members`, bob.auth, 'PUT', { email: 'x@example.org', role: 'viewer' }), 403, 'a viewer cannot add members')
  })

  await t.test('a revoked token is refused by the other process, and never served again', async (t) => {
    const second = (await a.inject({ method: 'POST', url: '/api/me/tokens', headers: bob.auth, payload: { name: 'laptop' } })).json()
    const laptop = { authorization: `Bearer ${second.token}` }
    t.equal(await status(b, '/api/me', laptop), 200)
    t.equal(await status(b, '/api/me', laptop), 200)
    t.ok(b.authCache!.token(hashToken(second.token)), 'cached in B')
    t.equal(await status(a, `/api/me/tokens/${second.id}`, bob.auth, 'DELETE'), 204)
    t.ok(await until(async () => await status(b, '/api/me', laptop) === 401) > 0, 'B refuses it')
    t.equal(b.authCache!.token(hashToken(second.token)), undefined, 'and forgot it')
    for (let i = 0; i < 10; i++) t.equal(await status(b, '/api/me', laptop), 401)
    t.equal(await status(b, '/api/me', bob.auth), 200, 'his other token is unaffected')
  })

  await t.test('a token deleted by hand in SQL, and a removed account', async (t) => {
    const carol = await userWithToken(a)
    t.equal(await status(b, '/api/me', carol.auth), 200)
    t.equal(await status(b, '/api/me', carol.auth), 200)
    await a.db.execute(`DELETE FROM api_tokens WHERE user_id = '${carol.user.id}'` as never)
    t.ok(await until(async () => await status(b, '/api/me', carol.auth) === 401) > 0, 'no service call needed: the trigger notifies')
    t.equal(await status(b, url, bob.auth), 200)
    t.equal(await status(a, `/api/users/${bob.user.id}`, admin.auth, 'DELETE'), 204)
    t.ok(await until(async () => await status(b, '/api/me', bob.auth) === 401) > 0, 'the account removed: refused in B')
    t.equal(await status(b, url, bob.auth), 401)
  })

  await t.test('a browser session ended in one process is refused by the other', async (t) => {
    const erin = await userWithToken(a)
    const setPassword = async (app: FastifyInstance, password: string) => {
      const link = (await a.inject({ method: 'POST', url: `/api/users/${erin.user.id}/password-link`, headers: admin.auth })).json()
      return app.inject({ method: 'POST', url: '/api/auth/password', payload: { token: /#token=(.+)$/.exec(link.url)![1], password } })
    }
    const cookieOf = (res: { headers: Record<string, unknown> }) => /analylit_session=([^;]*)/.exec(String(res.headers['set-cookie']))![1]
    const withCookie = (cookie: string) => ({ cookie: `analylit_session=${cookie}`, 'x-analylit-csrf': '1' })
    const me = async (app: FastifyInstance, cookie: string) => (await app.inject({ url: '/api/me', headers: withCookie(cookie) })).statusCode

    const first = cookieOf(await setPassword(a, 'a long enough password'))
    t.equal(await me(b, first), 200)
    t.equal(await me(b, first), 200)
    t.ok(b.authCache!.session(hashToken(first)), 'B answers the session from memory')
    t.equal((await a.inject({ method: 'POST', url: '/api/auth/logout', headers: withCookie(first) })).statusCode, 204, 'signed out in A')
    t.equal(await me(a, first), 401, 'A refuses at once')
    t.ok(await until(async () => await me(b, first) === 401) > 0, 'B refuses after the notification')
    t.equal(b.authCache!.session(hashToken(first)), undefined, 'and forgot it')
    for (let i = 0; i < 5; i++) t.equal(await me(b, first), 401, 'and keeps refusing')

    const login = await b.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.9', payload: { email: erin.user.email, password: 'a long enough password' } })
    const second = cookieOf(login)
    t.equal(await me(b, second), 200)
    t.ok(b.authCache!.session(hashToken(second)), 'a new session, cached in B')
    t.equal((await setPassword(a, 'another long password')).statusCode, 200, 'the password set again in A')
    t.ok(await until(async () => await me(b, second) === 401) > 0, 'ends the session cached in B')
  })

  await t.test('a lookup that started before an invalidation is not kept', async (t) => {
    const cache = b.authCache!
    const entry = { userId: 'u', tokenId: 'k', email: 'a@b', name: '', isAdmin: false, lastUsedAt: null }
    const startedAt = cache.current
    cache.invalidate('t:k')
    cache.storeToken('h', entry, startedAt)
    t.equal(cache.token('h'), undefined, 'its read may predate the change')
    cache.storeToken('h', entry, cache.current)
    t.ok(cache.token('h'), 'a lookup started after it is kept')
    cache.invalidate('u:u')
    t.equal(cache.token('h'), undefined, 'an account change forgets its tokens')
  })

  await t.test('while the listening connection is down, nothing is answered from memory', async (t) => {
    const dave = await userWithToken(a)
    t.equal(await status(b, '/api/me', dave.auth), 200)
    t.equal(await status(b, '/api/me', dave.auth), 200)
    const { rows } = await a.db.$client.query<{ n: number }>('SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE query = \'LISTEN analylit_auth\' AND datname = current_database()')
    t.equal(rows[0].n, 2, 'both listeners cut')
    // The token goes while nobody listens: the notification is lost.
    await a.db.execute(`DELETE FROM api_tokens WHERE user_id = '${dave.user.id}'` as never)
    t.ok(await until(async () => await status(b, '/api/me', dave.auth) === 401) > 0, 'refused all the same')
    t.ok(await until(async () => b.authCache!.active) > 0, 'B listens again')
    t.equal(await status(b, '/api/me', dave.auth), 401, 'and did not keep the old entry')
    t.equal(await status(b, '/api/me', admin.auth), 200)
  })
})
