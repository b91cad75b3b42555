import t from 'tap'
import WebSocket from 'ws'
import type { FastifyInstance } from 'fastify'
import { build, needsServices, userWithToken, waitFor } from '../helper.ts'

/**
 * Sign-in for people: password links, login, logout, cookie flags, CSRF,
 * expiry, revocation, WebSocket by cookie. One app for the whole file.
 */
type Auth = { authorization: string }

function cookieOf(res: { headers: Record<string, unknown> }): string {
  const header = String(res.headers['set-cookie'] ?? '')
  return /analylit_session=([^;]*)/.exec(header)![1]
}

async function linkToken(app: FastifyInstance, admin: Auth, userId: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/api/users/${userId}/password-link`, headers: admin })
  if (res.statusCode !== 201) throw new Error(res.body)
  return /#token=(.+)$/.exec(res.json().url)![1]
}

t.test('web sign-in', { skip: needsServices }, async (t) => {
  const app = await build(t, { PUBLIC_URL: 'https://review.example.org', SESSION_IDLE_HOURS: '2', SESSION_MAX_HOURS: '48' })
  const admin = await userWithToken(app, 'root@review.org', true)
  const alice = await userWithToken(app, 'alice@review.org')
  const password = 'correct horse battery'

  /** Signs in (from an address the throttling test leaves alone): the session cookie value. */
  async function signIn(email = 'alice@review.org', pass = password) {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.2', payload: { email, password: pass } })
    if (res.statusCode !== 200) throw new Error(res.body)
    return cookieOf(res)
  }
  const withCookie = (value: string, csrf = true) => ({ cookie: `other=1; analylit_session=${value}`, ...(csrf ? { 'x-analylit-csrf': '1' } : {}) })

  await t.test('password links: administrators only, single use, sign in', async (t) => {
    const refused = await app.inject({ method: 'POST', url: `/api/users/${alice.user.id}/password-link`, headers: alice.auth })
    t.equal(refused.statusCode, 403, 'not for non-administrators')
    const created = await app.inject({ method: 'POST', url: `/api/users/${alice.user.id}/password-link`, headers: admin.auth })
    t.equal(created.statusCode, 201)
    const { url, expiresAt } = created.json()
    t.match(url, /^https:\/\/review\.example\.org\/set-password#token=plk_[\w-]{43}$/, 'PUBLIC_URL, token in the fragment')
    t.ok(Math.abs(Date.parse(expiresAt) - Date.now() - 72 * 3600_000) < 60_000, 'expires after PASSWORD_LINK_HOURS (72)')
    const token = /#token=(.+)$/.exec(url)![1]

    const check = await app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': token } })
    t.equal(check.statusCode, 200, check.body)
    t.same(check.json(), { email: 'alice@review.org', expiresAt })
    t.equal((await app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': 'plk_nope' } })).statusCode, 404)
    const missing = await app.inject({ url: '/api/auth/password-links/check' })
    t.equal(missing.statusCode, 400)
    t.match(missing.json().message, /x-password-token/)

    const short = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token, password: 'too short' } })
    t.equal(short.statusCode, 400)
    t.match(short.json(), { field: 'password', message: /at least 10 characters/ })
    const long = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token, password: 'x'.repeat(1025) } })
    t.equal(long.statusCode, 400, 'longer than 1024 refused')
    t.equal((await app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': token } })).statusCode, 200, 'a refused password leaves the link usable')

    const set = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token, password } })
    t.equal(set.statusCode, 200, set.body)
    t.same(set.json().user, alice.user)
    const me = await app.inject({ url: '/api/me', headers: withCookie(cookieOf(set)) })
    t.equal(me.statusCode, 200, 'signed in by setting the password')
    t.equal(me.json().email, 'alice@review.org')

    const again = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token, password: 'another password' } })
    t.equal(again.statusCode, 410, 'single use')
    t.match(again.json().message, /already used/)
    t.equal((await app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': token } })).statusCode, 410)

    const first = await linkToken(app, admin.auth, alice.user.id)
    const second = await linkToken(app, admin.auth, alice.user.id)
    t.equal((await app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': first } })).statusCode, 404, 'a newer link replaces an unused one')
    await app.db.execute('UPDATE password_links SET expires_at = now() - interval \'1 second\' WHERE used_at IS NULL' as never)
    const expired = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token: second, password: 'another password' } })
    t.equal(expired.statusCode, 410)
    t.match(expired.json().message, /expired/)
    const stored = await app.db.execute('SELECT password_hash FROM users WHERE email = \'alice@review.org\'' as never)
    t.match((stored.rows[0] as { password_hash: string }).password_hash, /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/, 'scrypt with salt and parameters stored')
  })

  await t.test('login: cookie flags, one generic 401, throttled', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'Alice@Review.org', password } })
    t.equal(res.statusCode, 200, res.body)
    t.same(res.json(), { user: alice.user })
    const header = String(res.headers['set-cookie'])
    t.match(header, /^analylit_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=17279\d/, 'HttpOnly, Strict, lives SESSION_MAX_HOURS')
    t.notMatch(header, /Secure/, 'no Secure flag over plain http')
    const stored = await app.db.execute('SELECT token_hash FROM sessions' as never)
    t.notOk((stored.rows as Array<{ token_hash: string }>).some((r) => r.token_hash === cookieOf(res)), 'only a hash of the cookie is stored')

    const wrongPassword = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@review.org', password: 'wrong password' } })
    const unknownUser = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'nobody@review.org', password } })
    const noPassword = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'root@review.org', password } })
    for (const r of [wrongPassword, unknownUser, noPassword]) {
      t.equal(r.statusCode, 401)
      t.equal(r.json().message, 'wrong e-mail or password')
      t.notOk(r.headers['set-cookie'])
    }
    for (let i = 0; i < 9; i++) await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@review.org', password: 'wrong password' } })
    const throttled = await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: 'alice@review.org', password } })
    t.equal(throttled.statusCode, 429, 'the 11th attempt after 10 failures is refused, even with the right password')
    t.ok(Number(throttled.headers['retry-after']) > 0)
    const otherIp = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.9', payload: { email: 'alice@review.org', password } })
    t.equal(otherIp.statusCode, 200, 'per e-mail and address')

    const secure = await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.9', headers: { 'x-forwarded-proto': 'https' }, payload: { email: 'alice@review.org', password } })
    t.notMatch(String(secure.headers['set-cookie']), /Secure/, 'X-Forwarded-Proto ignored without TRUST_PROXY')
  })

  await t.test('the failure count is shared by every web process on the database', async (t) => {
    const second = await build(t, { DATABASE_URL: app.config.DATABASE_URL })
    const attempt = (on: FastifyInstance, pass: string) =>
      on.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.30', payload: { email: 'alice@review.org', password: pass } })
    for (let i = 0; i < 5; i++) t.equal((await attempt(app, 'wrong password')).statusCode, 401)
    for (let i = 0; i < 4; i++) t.equal((await attempt(second, 'wrong password')).statusCode, 401)
    t.equal((await attempt(second, 'wrong password')).statusCode, 401, 'the 10th failure, on the other process')
    t.equal((await attempt(app, password)).statusCode, 429, 'five failures on each process count as ten')
    t.equal((await attempt(second, password)).statusCode, 429)
    const stored = await app.db.execute('SELECT key FROM login_failures' as never)
    t.notOk((stored.rows as Array<{ key: string }>).some((r) => r.key.includes('alice')), 'neither e-mail nor address stored in clear')
  })

  await t.test('CSRF: cookie-authenticated writes need the header; bearer tokens do not', async (t) => {
    const cookie = await signIn()
    const without = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: withCookie(cookie, false), payload: { name: 'P' } })
    t.equal(without.statusCode, 403)
    t.match(without.json().message, /x-analylit-csrf: 1/)
    const wrong = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: { ...withCookie(cookie, false), 'x-analylit-csrf': '0' }, payload: { name: 'P' } })
    t.equal(wrong.statusCode, 403)
    t.equal((await app.inject({ url: '/api/me/tokens', headers: withCookie(cookie, false) })).statusCode, 200, 'reads need no header')
    const withHeader = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: withCookie(cookie), payload: { name: 'P' } })
    t.equal(withHeader.statusCode, 201, withHeader.body)
    const bearer = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: { ...alice.auth, cookie: 'analylit_session=whatever' }, payload: { name: 'Q' } })
    t.equal(bearer.statusCode, 201, 'a bearer token wins over a cookie and needs no header')
    const logout = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: withCookie(cookie, false) })
    t.equal(logout.statusCode, 403, 'logout by cookie needs the header too')
  })

  await t.test('logout, idle and absolute expiry', async (t) => {
    const cookie = await signIn()
    const out = await app.inject({ method: 'POST', url: '/api/auth/logout', headers: withCookie(cookie) })
    t.equal(out.statusCode, 204)
    t.match(String(out.headers['set-cookie']), /^analylit_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/, 'cookie cleared')
    const after = await app.inject({ url: '/api/me', headers: withCookie(cookie) })
    t.equal(after.statusCode, 401)
    t.match(after.json().message, /sign in again/)
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/logout' })).statusCode, 204, 'logout without a session is harmless')

    const idle = await signIn()
    await app.db.execute('UPDATE sessions SET last_seen_at = now() - interval \'121 minutes\'' as never)
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(idle) })).statusCode, 401, 'idle past SESSION_IDLE_HOURS')
    const active = await signIn()
    await app.db.execute('UPDATE sessions SET last_seen_at = now() - interval \'119 minutes\'' as never)
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(active) })).statusCode, 200, 'within the idle limit')
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(active) })).statusCode, 200, 'each use extends it')
    await app.db.execute('UPDATE sessions SET last_seen_at = now() - interval \'119 minutes\' WHERE last_seen_at < now() - interval \'1 minute\'' as never)
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(active) })).statusCode, 200, 'the last use was recorded')
    // Changed by hand in SQL: the session cache learns of it from the trigger's notification, delivered at commit.
    await app.db.execute('UPDATE sessions SET expires_at = now()' as never)
    t.equal(await waitFor(async () => (await app.inject({ url: '/api/me', headers: withCookie(active) })).statusCode === 401 || undefined), true, 'past SESSION_MAX_HOURS')
  })

  await t.test('a new password and removal of the user end their sessions; WebSockets follow', async (t) => {
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as { port: number }
    const origin = `http://127.0.0.1:${port}`
    const open = (cookie: string, headers: Record<string, string>) => new Promise<{ status: 'open'; socket: WebSocket } | { status: number }>((resolve) => {
      const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: { cookie: `analylit_session=${cookie}`, ...headers } })
      socket.once('open', () => resolve({ status: 'open', socket }))
      socket.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }))
    })
    const cookie = await signIn()
    t.same(await open(cookie, { origin: 'https://evil.example' }), { status: 403 }, 'foreign Origin refused')
    t.same(await open(cookie, {}), { status: 403 }, 'no Origin refused with a cookie')
    const ok = await open(cookie, { origin })
    t.equal(ok.status, 'open', 'own origin accepted')
    const socket = (ok as { socket: WebSocket }).socket
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
    socket.send(JSON.stringify({ type: 'ping' }))
    t.equal(JSON.parse(String(await new Promise((resolve) => socket.once('message', resolve)))).type, 'pong')
    const tokenSocket = new WebSocket(`ws://127.0.0.1:${port}/api/ws?access_token=${alice.token}`)
    await new Promise((resolve, reject) => { tokenSocket.once('open', resolve); tokenSocket.once('error', reject) })
    t.pass('a token needs no Origin')

    const other = await signIn()
    const set = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token: await linkToken(app, admin.auth, alice.user.id), password: 'a new long password' } })
    t.equal(set.statusCode, 200)
    t.equal(await closed, 1008, 'the socket of an ended session closes')
    t.equal(tokenSocket.readyState, WebSocket.OPEN, 'the token socket stays')
    tokenSocket.close()
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(other) })).statusCode, 401, 'other sessions ended by the new password')
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.3', payload: { email: 'alice@review.org', password } })).statusCode, 401, 'old password refused')
    const current = cookieOf(set)
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(current) })).statusCode, 200)

    const phone = await signIn('alice@review.org', 'a new long password')
    const phoneSocket = await open(phone, { origin }) as { socket: WebSocket }
    const phoneClosed = new Promise<number>((resolve) => phoneSocket.socket.once('close', (code) => resolve(code)))
    const list = await app.inject({ url: '/api/me/sessions', headers: withCookie(current) })
    t.equal(list.statusCode, 200)
    t.equal(list.json().length, 2, 'two sessions listed')
    t.notOk(JSON.stringify(list.json()).includes(phone), 'never the cookie')
    const phoneSession = list.json().find((s: { current: boolean }) => !s.current)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/me/sessions/${phoneSession.id}`, headers: alice.auth })).statusCode, 204, 'revoked like a token')
    t.equal(await phoneClosed, 1008, 'its socket closes')
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(phone) })).statusCode, 401)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/me/sessions/${phoneSession.id}`, headers: alice.auth })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/me/sessions/${list.json().find((s: { current: boolean }) => s.current).id}`, headers: admin.auth })).statusCode, 404, 'not another user\'s')

    const logoutSocket = await open(current, { origin }) as { socket: WebSocket }
    const logoutClosed = new Promise<number>((resolve) => logoutSocket.socket.once('close', (code) => resolve(code)))
    await app.inject({ method: 'POST', url: '/api/auth/logout', headers: withCookie(current) })
    t.equal(await logoutClosed, 1008, 'logout closes the session\'s socket')

    const last = await signIn('alice@review.org', 'a new long password')
    t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${alice.user.id}`, headers: admin.auth })).statusCode, 204)
    t.equal((await app.inject({ url: '/api/me', headers: withCookie(last) })).statusCode, 401, 'removal ends the sessions')
    const count = await app.db.execute('SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = \'alice@review.org\'' as never)
    t.equal((count.rows[0] as { n: number }).n, 0, 'and deletes them')
    const reactivated = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email: 'alice@review.org' } })
    t.equal(reactivated.statusCode, 201)
    t.equal((await app.inject({ method: 'POST', url: '/api/auth/login', remoteAddress: '10.0.0.3', payload: { email: 'alice@review.org', password: 'a new long password' } })).statusCode, 401, 'a reactivated account needs a new password link')
  })
})
