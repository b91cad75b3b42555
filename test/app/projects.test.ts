import t from 'tap'
import { build, needsServices, userWithToken } from '../helper.ts'

t.test('projects: auth, isolation, CRUD and bad input', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app, 'alice@example.org')
  const bob = await userWithToken(app, 'bob@example.org')

  t.test('every /api route but health needs a valid bearer token', async (t) => {
    for (const [method, url] of [['GET', '/api/projects'], ['POST', '/api/projects'], ['GET', '/api/docs'], ['GET', '/api/me'], ['GET', '/api/tasks/00000000-0000-0000-0000-000000000000']] as const) {
      const none = await app.inject({ method, url })
      t.equal(none.statusCode, 401, `${method} ${url} without token`)
      t.match(none.json().message, /bearer token/)
      const wrong = await app.inject({ method, url, headers: { authorization: 'Bearer alt_not-a-real-token' } })
      t.equal(wrong.statusCode, 401, `${method} ${url} with a wrong token`)
    }
    const me = await app.inject({ url: '/api/me', headers: alice.auth })
    t.equal(me.json().email, 'alice@example.org')
  })

  let projectId = ''
  t.test('create, get, list, update', async (t) => {
    const created = await app.inject({
      method: 'POST', url: '/api/projects', headers: alice.auth,
      payload: { name: 'Digital therapeutic alliance', reviewType: 'scoping', question: 'How is the alliance measured?', criteria: { kind: 'pico', population: 'adults', intervention: 'chatbot' } }
    })
    t.equal(created.statusCode, 201)
    const project = created.json()
    projectId = project.id
    t.match(project, { name: 'Digital therapeutic alliance', reviewType: 'scoping', role: 'owner', criteria: { kind: 'pico', population: 'adults' } })

    const got = await app.inject({ url: `/api/projects/${projectId}`, headers: alice.auth })
    t.equal(got.statusCode, 200)
    t.equal(got.json().question, 'How is the alliance measured?')

    const list = await app.inject({ url: '/api/projects', headers: alice.auth })
    t.same(list.json().map((p: { id: string }) => p.id), [projectId])

    const patched = await app.inject({ method: 'PATCH', url: `/api/projects/${projectId}`, headers: alice.auth, payload: { criteria: { kind: 'text', text: 'RCTs only' } } })
    t.equal(patched.statusCode, 200)
    t.same(patched.json().criteria, { kind: 'text', text: 'RCTs only' })
    t.equal(patched.json().name, 'Digital therapeutic alliance', 'other fields unchanged')
  })

  t.test('another user cannot see or change the project (404, not 403)', async (t) => {
    t.same((await app.inject({ url: '/api/projects', headers: bob.auth })).json(), [])
    for (const [method, url, payload] of [
      ['GET', `/api/projects/${projectId}`, undefined],
      ['PATCH', `/api/projects/${projectId}`, { name: 'hijacked' }],
      ['DELETE', `/api/projects/${projectId}`, undefined],
      ['GET', `/api/projects/${projectId}/articles`, undefined],
      ['GET', `/api/projects/${projectId}/tasks`, undefined],
      ['GET', `/api/projects/${projectId}/decisions`, undefined]
    ] as const) {
      const res = await app.inject({ method, url, headers: bob.auth, payload })
      t.equal(res.statusCode, 404, `${method} ${url}`)
    }
    t.equal((await app.inject({ url: `/api/projects/${projectId}`, headers: alice.auth })).json().name, 'Digital therapeutic alliance')
  })

  t.test('members: a viewer reads but cannot change', async (t) => {
    const added = await app.inject({ method: 'PUT', url: `/api/projects/${projectId}/members`, headers: alice.auth, payload: { email: 'bob@example.org', role: 'viewer' } })
    t.equal(added.statusCode, 200)
    t.equal(added.json().length, 2)
    t.equal((await app.inject({ url: `/api/projects/${projectId}`, headers: bob.auth })).json().role, 'viewer')
    const denied = await app.inject({ method: 'PATCH', url: `/api/projects/${projectId}`, headers: bob.auth, payload: { name: 'x' } })
    t.equal(denied.statusCode, 403)
    const lastOwner = await app.inject({ method: 'DELETE', url: `/api/projects/${projectId}/members/${alice.user.id}`, headers: alice.auth })
    t.equal(lastOwner.statusCode, 409, 'the last owner cannot be removed')
  })

  t.test('bad input gets a 400 naming the field, and stores nothing', async (t) => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/api/projects', {}, /name/],
      ['POST', '/api/projects', { name: '' }, /name/],
      ['POST', '/api/projects', { name: 'x', reviewType: 'meta' }, /reviewType/],
      ['POST', '/api/projects', { name: 'x', criteria: { kind: 'pico', population: { text: 'adults' } } }, /criteria/],
      ['POST', '/api/projects', { name: 'x', colour: 'red' }, /colour/],
      ['PATCH', `/api/projects/${projectId}`, {}, /body/],
      ['GET', '/api/projects/not-a-uuid', undefined, /projectId/],
      ['GET', `/api/projects/${projectId}/articles?page=0`, undefined, /page/],
      ['GET', `/api/projects/${projectId}/articles?sort=colour`, undefined, /sort/],
      ['GET', `/api/projects/${projectId}/articles?decision=yes`, undefined, /decision/]
    ]
    for (const [method, url, payload, field] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers: alice.auth, payload: payload as object })
      t.equal(res.statusCode, 400, `${method} ${url} ${JSON.stringify(payload)}`)
      t.match(res.json().message, field)
    }
    const malformed = await app.inject({ method: 'POST', url: '/api/projects', headers: { ...alice.auth, 'content-type': 'application/json' }, payload: '{"name":' })
    t.equal(malformed.statusCode, 400)
    t.equal((await app.inject({ url: '/api/projects', headers: alice.auth })).json().length, 1, 'nothing was created')
  })

  t.test('OpenAPI document lists the routes', async (t) => {
    const docs = await app.inject({ url: '/api/docs', headers: alice.auth })
    t.equal(docs.statusCode, 200)
    const spec = docs.json()
    t.equal(spec.openapi.startsWith('3.'), true)
    t.ok(spec.paths['/api/projects'] ?? spec.paths['/api/projects/'], Object.keys(spec.paths).join(' '))
    t.ok(spec.paths['/api/projects/{projectId}/articles'])
    t.ok(spec.paths['/api/tasks/{taskId}'])
  })

  t.test('delete removes the project', async (t) => {
    const del = await app.inject({ method: 'DELETE', url: `/api/projects/${projectId}`, headers: alice.auth })
    t.equal(del.statusCode, 204)
    t.equal((await app.inject({ url: `/api/projects/${projectId}`, headers: alice.auth })).statusCode, 404)
  })
})
