import t from 'tap'
import path from 'node:path'
import { build, createTestDatabase, needsServices, tempDir } from '../helper.ts'
import { initDb } from '../support/init-db.ts'

const LINK = /set the administrator's password at (http:\/\/127\.0\.0\.1:4321\/set-password#token=(plk_[\w-]+))/

t.test('init-db prints the administrator\'s password link next to the token, until a password is set', { skip: needsServices }, async (t) => {
  const url = await createTestDatabase(t)
  const env = { DATABASE_URL: url, ADMIN_TOKEN_FILE: path.join(await tempDir(t), 'admin-token'), ADMIN_EMAIL: 'chief@review.org', HOST: '0.0.0.0', PORT: '4321' }
  const first = await initDb(env)
  t.equal(first.code, 0, first.out)
  t.match(first.out, /API token[^\n]*alt_/)
  const firstToken = LINK.exec(first.out)?.[2]
  t.ok(firstToken, `a link on http://127.0.0.1:PORT: ${first.out}`)

  const app = await build(t, { DATABASE_URL: url })
  const check = (token: string) => app.inject({ url: '/api/auth/password-links/check', headers: { 'x-password-token': token } })
  t.equal((await check(firstToken!)).json().email, 'chief@review.org')

  const second = await initDb(env)
  t.equal(second.code, 0, second.out)
  const secondToken = LINK.exec(second.out)?.[2]
  t.ok(secondToken && secondToken !== firstToken, 'a new link while the administrator has no password')
  t.equal((await check(firstToken!)).statusCode, 404, 'replacing the previous one')
  const set = await app.inject({ method: 'POST', url: '/api/auth/password', payload: { token: secondToken, password: 'the chief reviewer' } })
  t.equal(set.statusCode, 200)
  t.same(set.json().user, { id: set.json().user.id, email: 'chief@review.org', name: 'Administrator', isAdmin: true })

  const third = await initDb(env)
  t.equal(third.code, 0)
  t.notMatch(third.out, /set-password/, 'no link once the password is set')
})
