import t from 'tap'
import { and, eq } from 'drizzle-orm'
import { articles, decisions, projectMembers, tasks } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Auth = { authorization: string }

t.test('API tokens: list, revoke yours at once, administrators revoke anyone\'s', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const admin = await userWithToken(app, 'admin@review.org', true)
  const bob = await userWithToken(app, 'bob@review.org')
  const eve = await userWithToken(app, 'eve@review.org')
  const laptop = (await app.inject({ method: 'POST', url: '/api/me/tokens', headers: bob.auth, payload: { name: 'laptop' } })).json()
  const laptopAuth = { authorization: `Bearer ${laptop.token}` }

  const list = await app.inject({ url: '/api/me/tokens', headers: bob.auth })
  t.equal(list.statusCode, 200)
  t.equal(list.json().length, 2)
  t.match(list.json().find((x: { id: string }) => x.id === laptop.id), { name: 'laptop', current: false, createdAt: String })
  t.equal(list.json().filter((x: { current: boolean }) => x.current).length, 1, 'the token of the request is marked')
  t.notMatch(list.body, /alt_|hash/i, 'never the token or its hash')

  t.equal((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${laptop.id}`, headers: eve.auth })).statusCode, 404, 'not someone else\'s token')
  t.equal((await app.inject({ url: '/api/me', headers: laptopAuth })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${laptop.id}`, headers: bob.auth })).statusCode, 204)
  t.equal((await app.inject({ url: '/api/me', headers: laptopAuth })).statusCode, 401, 'a revoked token is refused at once')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/me/tokens/${laptop.id}`, headers: bob.auth })).statusCode, 404, 'already revoked')
  t.equal((await app.inject({ method: 'DELETE', url: '/api/me/tokens/not-a-uuid', headers: bob.auth })).statusCode, 400)
  t.equal((await app.inject({ url: '/api/me/tokens', headers: bob.auth })).json().length, 1)

  // Administrators.
  t.equal((await app.inject({ url: `/api/users/${bob.user.id}/tokens`, headers: eve.auth })).statusCode, 403)
  const bobs = (await app.inject({ url: `/api/users/${bob.user.id}/tokens`, headers: admin.auth })).json()
  t.equal(bobs.length, 1)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}/tokens/${bobs[0].id}`, headers: eve.auth })).statusCode, 403)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${eve.user.id}/tokens/${bobs[0].id}`, headers: admin.auth })).statusCode, 404, 'token of another user')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}/tokens/${bobs[0].id}`, headers: admin.auth })).statusCode, 204)
  t.equal((await app.inject({ url: '/api/me', headers: bob.auth })).statusCode, 401)
})

t.test('a task of another team answers exactly like a task that does not exist', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const mallory = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Private' } })).json()
  const [task] = await app.db.insert(tasks).values({ projectId: project.id, type: 'dedup', status: 'succeeded', createdBy: alice.user.id }).returning()
  const [own] = await app.db.insert(tasks).values({ type: 'llm-pull', status: 'succeeded', createdBy: alice.user.id }).returning()
  t.equal((await app.inject({ url: `/api/tasks/${task.id}`, headers: alice.auth })).statusCode, 200)
  const missing = '00000000-0000-4000-8000-000000000000'
  for (const [method, suffix] of [['GET', ''], ['POST', '/cancel']] as const) {
    const random = await app.inject({ method, url: `/api/tasks/${missing}${suffix}`, headers: mallory.auth })
    t.equal(random.statusCode, 404)
    for (const id of [task.id, own.id]) {
      const real = await app.inject({ method, url: `/api/tasks/${id}${suffix}`, headers: mallory.auth })
      t.equal(real.statusCode, random.statusCode, `${method} ${suffix}`)
      t.same(real.json(), random.json(), `${method} ${suffix}: same body`)
    }
  }
})

t.test('adding a member by e-mail does not tell whether the address has an account', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const admin = await userWithToken(app, 'root@review.org', true)
  const alice = await userWithToken(app, 'alice@review.org')
  await userWithToken(app, 'known@review.org')
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Team' } })).json()
  const add = (email: string, role = 'reviewer') => app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: alice.auth, payload: { email, role } })

  const known = await add('known@review.org')
  const unknown = await add('Unknown@Review.org')
  t.equal(known.statusCode, 200)
  t.equal(unknown.statusCode, known.statusCode, 'same status')
  t.same(Object.keys(unknown.json()[0]), Object.keys(known.json()[0]), 'same shape')
  t.same(unknown.json().map((m: { email: string }) => m.email), ['alice@review.org', 'known@review.org', 'unknown@review.org'])

  t.equal((await add('not an address')).statusCode, 400)
  t.equal((await add('x@y.org', 'admin')).statusCode, 400)

  // The pending account cannot sign in; an administrator activates it, memberships kept.
  const activated = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email: 'unknown@review.org', name: 'Una' } })
  t.equal(activated.statusCode, 201)
  const una = { authorization: `Bearer ${activated.json().token}` }
  const projects = (await app.inject({ url: '/api/projects', headers: una })).json()
  t.same(projects.map((p: { id: string; role: string }) => [p.id, p.role]), [[project.id, 'reviewer']])
  const again = await app.inject({ method: 'POST', url: '/api/users', headers: admin.auth, payload: { email: 'unknown@review.org' } })
  t.equal(again.statusCode, 409, 'an active account is not created twice')
})

t.test('the last owner cannot be removed or demoted, even by concurrent requests', { skip: needsServices }, async (t) => {
  const app = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}/api`
  const call = async (method: string, path: string, auth: Auth, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined })
    await res.arrayBuffer()
    return res.status
  }
  const admin = await userWithToken(app, 'root@review.org', true)
  const owners = async (projectId: string) => app.db.$count(projectMembers, and(eq(projectMembers.projectId, projectId), eq(projectMembers.role, 'owner')))

  async function twoOwners() {
    const a = await userWithToken(app)
    const b = await userWithToken(app)
    const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: a.auth, payload: { name: 'Race' } })).json()
    await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: a.auth, payload: { email: b.user.email, role: 'owner' } })
    t.equal(await owners(project.id), 2)
    return { a, b, projectId: project.id as string }
  }

  const races: Record<string, (x: Awaited<ReturnType<typeof twoOwners>>) => Array<Promise<number>>> = {
    'two owners remove each other': ({ a, b, projectId }) => [
      call('DELETE', `/projects/${projectId}/members/${b.user.id}`, a.auth),
      call('DELETE', `/projects/${projectId}/members/${a.user.id}`, b.auth)
    ],
    'two owners demote each other': ({ a, b, projectId }) => [
      call('PUT', `/projects/${projectId}/members`, a.auth, { email: b.user.email, role: 'reviewer' }),
      call('PUT', `/projects/${projectId}/members`, b.auth, { email: a.user.email, role: 'viewer' })
    ],
    'an owner demotes herself while removing the other': ({ a, b, projectId }) => [
      call('PUT', `/projects/${projectId}/members`, a.auth, { email: a.user.email, role: 'reviewer' }),
      call('DELETE', `/projects/${projectId}/members/${b.user.id}`, a.auth)
    ],
    'an administrator removes both owners\' accounts': ({ a, b }) => [
      call('DELETE', `/users/${a.user.id}`, admin.auth),
      call('DELETE', `/users/${b.user.id}`, admin.auth)
    ],
    'an owner is removed while her account is removed': ({ a, b, projectId }) => [
      call('DELETE', `/projects/${projectId}/members/${b.user.id}`, a.auth),
      call('DELETE', `/users/${a.user.id}`, admin.auth)
    ]
  }
  for (const [name, race] of Object.entries(races)) {
    const outcomes: string[] = []
    for (let trial = 0; trial < 10; trial++) {
      const x = await twoOwners()
      const statuses = (await Promise.all(race(x))).map((s) => (s < 300 ? 'ok' : s >= 400 && s < 500 ? 'refused' : String(s))).sort()
      outcomes.push(statuses.join('+'))
      if (await owners(x.projectId) === 0) { t.fail(`${name}: trial ${trial} left the project without owner (${statuses})`); break }
    }
    t.same(new Set(outcomes), new Set(['ok+refused']), `${name}: always one succeeds and one is refused (${outcomes.join(', ')})`)
  }
})

t.test('removing a user: refused for a last owner, otherwise tokens and memberships go and decisions stay', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const admin = await userWithToken(app, 'root@review.org', true)
  const alice = await userWithToken(app)
  const bob = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Solo' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: alice.auth, payload: { email: bob.user.email, role: 'reviewer' } })
  const [article] = await app.db.insert(articles).values({ projectId: project.id, title: 'A trial' }).returning()
  const decided = await app.inject({ method: 'POST', url: `/api/projects/${project.id}/articles/${article.id}/decisions`, headers: bob.auth, payload: { decision: 'include' } })
  t.equal(decided.statusCode, 201)

  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}`, headers: alice.auth })).statusCode, 403)
  const refused = await app.inject({ method: 'DELETE', url: `/api/users/${alice.user.id}`, headers: admin.auth })
  t.equal(refused.statusCode, 409)
  t.match(refused.json().message, /last owner of "Solo"/)
  t.equal((await app.inject({ url: '/api/me', headers: alice.auth })).statusCode, 200, 'nothing was changed')

  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}`, headers: admin.auth })).statusCode, 204)
  t.equal((await app.inject({ url: '/api/me', headers: bob.auth })).statusCode, 401, 'tokens revoked')
  t.same((await app.inject({ url: `/api/projects/${project.id}/members`, headers: alice.auth })).json().map((m: { userId: string }) => m.userId), [alice.user.id])
  t.same((await app.db.select({ reviewerId: decisions.reviewerId }).from(decisions)).map((d) => d.reviewerId), [bob.user.id], 'decisions keep their reviewer')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${bob.user.id}`, headers: admin.auth })).statusCode, 404, 'already removed')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/users/${admin.user.id}`, headers: admin.auth })).statusCode, 409, 'not yourself')
})
