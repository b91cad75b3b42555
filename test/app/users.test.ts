import t from 'tap'
import { build, needsServices, userWithToken } from '../helper.ts'

t.test('administrators create users; every user can issue more tokens', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const admin = await userWithToken(app, 'admin@review.org', true)
  const plain = await userWithToken(app, 'plain@review.org')

  const created = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email: 'Bob@Uni.edu', name: 'Bob' } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { user: { email: 'bob@uni.edu', name: 'Bob', isAdmin: false }, token: /^alt_/ })
  const bob = { authorization: `Bearer ${created.json().token}` }
  t.equal((await app.inject({ url: '/api/me', headers: bob })).json().email, 'bob@uni.edu', 'the new token works')

  t.equal((await app.inject({ method: 'POST', url: '/api/users', headers: plain.auth, payload: { email: 'eve@x.org' } })).statusCode, 403)
  const twice = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email: 'bob@uni.edu' } })
  t.equal(twice.statusCode, 409)
  t.equal(twice.json().field, 'email')
  for (const payload of [{ email: 'not-an-email' }, {}, { email: 'c@d.org', role: 'admin' }]) {
    const res = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload))
  }

  const issued = await app.inject({ method: 'POST', url: '/api/me/tokens', headers: bob, payload: { name: 'laptop' } })
  t.equal(issued.statusCode, 201)
  const laptop = { authorization: `Bearer ${issued.json().token}` }
  t.equal((await app.inject({ url: '/api/me', headers: laptop })).json().email, 'bob@uni.edu')
  t.equal((await app.inject({ method: 'POST', url: '/api/me/tokens', headers: bob, payload: { name: { first: 'x' } } })).statusCode, 400)
})
