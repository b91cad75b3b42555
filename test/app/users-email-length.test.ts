import t from 'tap'
import { randomBytes } from 'node:crypto'
import { build, needsServices, userWithToken } from '../helper.ts'

t.test('an e-mail address too long for any mailbox is refused by name, not by the database', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const admin = await userWithToken(app, undefined, true)
  // Valid in form, 3,000 characters that do not compress: more than the unique index on users.email can hold.
  const email = `${'a'.repeat(60)}@${Array.from({ length: 370 }, () => randomBytes(4).toString('hex').slice(0, 7)).join('.')}.org`
  const res = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email } })
  t.equal(res.statusCode, 400, res.body.slice(0, 300))
  t.match(res.json(), { field: 'email', message: /email/ })
})
