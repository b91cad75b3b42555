/**
 * The OpenAPI document and the conventions every route follows: each
 * operation documents a success response, defaulted query parameters are
 * optional, the multipart import, health and WebSocket routes are described;
 * unknown query parameters are refused; project routes resolve the caller's
 * role once (404 for non-members, 403 below the route's role).
 */
import t from 'tap'
import { build, needsServices, userWithToken } from '../helper.ts'

type Parameter = { in: string; name: string; required?: boolean; schema?: { default?: unknown } }
type Operation = {
  parameters?: Parameter[]
  requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown>; required?: string[] } }> }
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>
}

t.test('OpenAPI document: every operation, its success response, optional defaults', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const res = await app.inject({ url: '/api/docs/json', headers: alice.auth })
  t.equal(res.statusCode, 200)
  const doc = res.json() as { paths: Record<string, Record<string, Operation>> }
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, op })))
  t.ok(operations.length >= 60, `${operations.length} operations`)

  const routes = operations.map((o) => o.id)
  for (const expected of ['GET /api/health', 'GET /api/health/ready', 'GET /api/ws', 'POST /api/projects/{projectId}/imports', 'GET /api/projects/{projectId}']) {
    t.ok(routes.includes(expected), `${expected} is documented`)
  }

  const withoutSuccess: string[] = []
  const requiredDefaults: string[] = []
  for (const { id, op } of operations) {
    // A WebSocket answers 101 Switching Protocols, never 2xx.
    const success = Object.entries(op.responses ?? {}).filter(([status]) => /^2\d\d$/.test(status) || (id === 'GET /api/ws' && status === '101'))
    if (!success.some(([status, r]) => status === '204' || status === '101' || Object.values(r.content ?? {}).some((c) => c.schema !== undefined))) withoutSuccess.push(id)
    for (const p of op.parameters ?? []) {
      if (p.in === 'query' && p.required && p.schema?.default !== undefined) requiredDefaults.push(`${id} ?${p.name}`)
    }
  }
  t.same(withoutSuccess, [], 'every operation declares a success response schema')
  t.same(requiredDefaults, [], 'no query parameter with a default is required')

  const upload = doc.paths['/api/projects/{projectId}/imports'].post.requestBody?.content?.['multipart/form-data']?.schema
  t.ok(upload?.properties?.file, 'the import documents its multipart file field')
  t.same(upload?.required, ['file'])
  const page = doc.paths['/api/projects/{projectId}/articles'].get.parameters?.find((p) => p.name === 'page')
  t.match(page, { in: 'query', schema: { default: 1 } })
  t.notOk(page?.required)
})

t.test('unknown query parameters are refused, naming the parameter', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'P' } })).json()
  const misspelt = await app.inject({ url: `/api/projects/${project.id}/articles?desicion=include`, headers: alice.auth })
  t.equal(misspelt.statusCode, 400)
  t.match(misspelt.json(), { field: 'desicion', message: /unknown query parameter "desicion".*decision/ })
  const none = await app.inject({ url: '/api/projects?page=2', headers: alice.auth })
  t.equal(none.statusCode, 400, 'a route without query parameters refuses any')
  t.match(none.json(), { field: 'page', message: /takes none/ })
  t.equal((await app.inject({ url: `/api/projects/${project.id}/articles?page=1&pageSize=10&decision=include`, headers: alice.auth })).statusCode, 200)
})

t.test('pagination: page/pageSize everywhere, totals in the body or X-Total-Count', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'P' } })).json()
  const base = `/api/projects/${project.id}`
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: alice.auth })).statusCode, 202)
  const tasks = await app.inject({ url: `${base}/tasks?page=2&pageSize=2`, headers: alice.auth })
  t.equal(tasks.statusCode, 200)
  t.equal(tasks.json().length, 1, 'the second page of two')
  t.equal(tasks.headers['x-total-count'], '3')
  t.equal((await app.inject({ url: `${base}/tasks?limit=1`, headers: alice.auth })).json().length, 1, 'limit still works')
  const clusters = await app.inject({ url: `${base}/duplicates?page=1&pageSize=5`, headers: alice.auth })
  t.match(clusters.json(), { items: [], total: 0, page: 1, pageSize: 5 })
  const conflicts = await app.inject({ url: `${base}/screening/conflicts?page=3&pageSize=10`, headers: alice.auth })
  t.match(conflicts.json(), { items: [], total: 0, page: 3, pageSize: 10 })
  const decisions = await app.inject({ url: `${base}/decisions?page=1&pageSize=10`, headers: alice.auth })
  t.same(decisions.json(), [])
  t.equal(decisions.headers['x-total-count'], '0')
})

t.test('project scope: one resolution of the caller\'s role per request', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const viewer = await userWithToken(app)
  const stranger = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'P' } })).json()
  const base = `/api/projects/${project.id}`
  t.equal((await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: viewer.user.email, role: 'viewer' } })).statusCode, 200)

  const asStranger = await app.inject({ url: `${base}/sources`, headers: stranger.auth })
  t.equal(asStranger.statusCode, 404)
  t.match(asStranger.json(), { message: 'project not found' })
  t.equal((await app.inject({ url: `${base}/sources`, headers: viewer.auth })).statusCode, 200, 'viewers read')
  const denied = await app.inject({ method: 'POST', url: `${base}/duplicates/run`, headers: viewer.auth })
  t.equal(denied.statusCode, 403, 'a reviewer route refuses viewers')
  t.match(denied.json(), { message: /needs the reviewer role/ })
  t.equal((await app.inject({ method: 'PATCH', url: base, headers: viewer.auth, payload: { name: 'Q' } })).statusCode, 403, 'an owner route refuses viewers')
  t.equal((await app.inject({ url: base, headers: viewer.auth })).json().role, 'viewer')
})
