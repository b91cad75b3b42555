/**
 * Project isolation, generated from the OpenAPI document: every operation whose path names a
 * project, article, task, batch, file or user is called with the real ids of another user's
 * project by a user who is not a member (404, the answer of a project that does not exist, so ids
 * cannot be probed; 403 on the administrators' user routes), and every write of a project by one of
 * its viewers (403). Bodies are built from the operation's schemas with real ids, so a request
 * passes validation and reaches the authorization check: an operation for which no valid request
 * can be built answers 400 and fails the test, so a new route is covered the day it is added.
 * Also: a WebSocket subscription to another user's project is refused.
 */
import t from 'tap'
import WebSocket from 'ws'
import { build, fileUpload, needsServices, taskFinished, userWithToken, waitFor } from '../helper.ts'
import { operations, sample } from '../support/openapi.ts'

const ID_PARAMS = new Set(['projectId', 'articleId', 'taskId', 'batchId', 'fileId', 'userId'])
const RECORDS = ['Alliance with chatbots', 'Therapeutic alliance in apps', 'Digital coaching'].map((title, i) =>
  `TY  - JOUR\nTI  - ${title}\nAB  - An abstract about ${title}.\nPY  - 202${i}\nDO  - 10.1000/iso${i}\nER  - \n`).join('')

t.test('every route naming a project, article, task, batch, file or user keeps other users out', { skip: needsServices }, async (t) => {
  const closed = 'http://127.0.0.1:9'
  const app = await build(t, {
    PUBMED_BASE_URL: closed, NCBI_IDCONV_BASE_URL: closed, EUROPE_PMC_BASE_URL: closed, CROSSREF_BASE_URL: closed, OPENALEX_BASE_URL: closed,
    SEMANTIC_SCHOLAR_BASE_URL: closed, ARXIV_BASE_URL: closed, UNPAYWALL_BASE_URL: closed, OLLAMA_BASE_URL: closed
  })
  const owner = await userWithToken(app)
  const viewer = await userWithToken(app)
  const outsider = await userWithToken(app)
  // The outsider has a project of her own: membership somewhere must not open anyone else's.
  await app.inject({ method: 'POST', url: '/api/projects', headers: outsider.auth, payload: { name: 'Her own' } })

  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Private', question: 'q?' } })).json()
  const member = await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  t.equal(member.statusCode, 200, 'the viewer joined')
  const upload = fileUpload('iso.ris', RECORDS)
  const importTask = (await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })).json()
  t.equal((await taskFinished(app, owner.auth, importTask.id)).status, 'succeeded')
  const articleIds = ((await app.inject({ url: `/api/projects/${project.id}/articles`, headers: owner.auth })).json().items as Array<{ id: string }>).map((a) => a.id)
  await app.inject({ method: 'POST', url: `/api/projects/${project.id}/articles/${articleIds[0]}/decisions`, headers: owner.auth, payload: { decision: 'include' } })
  const batchId = (await app.inject({ url: `/api/projects/${project.id}/sources`, headers: owner.auth })).json()[0].id as string
  const [file] = await app.db.query.files.findMany({ where: (f, { eq }) => eq(f.projectId, project.id) })

  const ids = { articleIds, batchId, userId: owner.user.id, email: viewer.user.email, url: `${closed}/export.ris` }
  const idFor = (name: string): string => ({
    projectId: project.id, articleId: articleIds[0], taskId: importTask.id, batchId, fileId: file.id, userId: owner.user.id
  } as Record<string, string>)[name] ?? articleIds[0]

  const all = await operations(app, owner.auth)
  const covered = all.filter(({ op }) => (op.parameters ?? []).some((p) => p.in === 'path' && ID_PARAMS.has(p.name)))
  t.ok(covered.length >= 39, `${covered.length} operations name a project, article, task, batch, file or user`)

  const request = (auth: { authorization: string }, { route, method, op }: (typeof all)[number]) => {
    const url = route.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(idFor(name)))
    const query = (op.parameters ?? []).filter((p) => p.in === 'query' && (p as { required?: boolean }).required)
      .map((p) => `${p.name}=${encodeURIComponent(String(sample(p.schema, p.name, ids)))}`).join('&')
    const content = op.requestBody?.content ?? {}
    const headers: Record<string, string> = { ...auth }
    let payload: string | Buffer | undefined
    if (content['multipart/form-data']) {
      const body = fileUpload('iso.ris', RECORDS)
      Object.assign(headers, body.headers)
      payload = body.payload
    } else if (content['application/json']) {
      headers['content-type'] = 'application/json'
      payload = JSON.stringify(sample(content['application/json'].schema, 'body', ids))
    }
    return app.inject({ method: method as 'GET', url: query ? `${url}?${query}` : url, headers, ...(payload !== undefined ? { payload } : {}) })
  }

  const wrong: string[] = []
  for (const operation of covered) {
    const { route, method } = operation
    const adminOnly = route.startsWith('/api/users')
    const asOutsider = await request(outsider.auth, operation)
    const wanted = adminOnly ? 403 : 404
    if (asOutsider.statusCode !== wanted) wrong.push(`${method} ${route} as a non-member: ${asOutsider.statusCode} (wanted ${wanted}) ${asOutsider.body.slice(0, 200)}`)
    if (method !== 'GET' && !adminOnly) {
      const asViewer = await request(viewer.auth, operation)
      if (asViewer.statusCode !== 403) wrong.push(`${method} ${route} as a viewer: ${asViewer.statusCode} (wanted 403) ${asViewer.body.slice(0, 200)}`)
    }
  }
  t.same(wrong, [], `${wrong.length} operations let another user through or could not be reached with a valid request:\n${wrong.join('\n')}`)

  // Nothing was changed by the refused requests.
  const after = await app.inject({ url: `/api/projects/${project.id}`, headers: owner.auth })
  t.equal(after.statusCode, 200, 'the project is still there')
  t.equal((await app.inject({ url: `/api/projects/${project.id}/articles`, headers: owner.auth })).json().items.length, articleIds.length, 'with its articles')

  // The WebSocket: another user's real project cannot be subscribed to; one's own can.
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: outsider.auth })
  t.teardown(() => socket.close())
  const replies: Array<{ type: string; projectId?: string }> = []
  socket.on('message', (d) => replies.push(JSON.parse(String(d))))
  await new Promise((resolve) => socket.once('open', resolve))
  socket.send(JSON.stringify({ type: 'subscribe', projectId: project.id }))
  const reply = await waitFor(async () => replies.find((r) => r.projectId === project.id))
  t.match(reply, { type: 'error', projectId: project.id }, 'subscription to another user\'s project refused')
  // No event of that project reaches the outsider.
  await app.inject({ method: 'PATCH', url: `/api/projects/${project.id}`, headers: owner.auth, payload: { question: 'changed?' } })
  const own = (await app.inject({ method: 'POST', url: '/api/projects', headers: outsider.auth, payload: { name: 'Second' } })).json()
  socket.send(JSON.stringify({ type: 'subscribe', projectId: own.id }))
  await waitFor(async () => replies.some((r) => r.type === 'subscribed' && r.projectId === own.id))
  t.same(replies.filter((r) => r.projectId === project.id).map((r) => r.type), ['error'], 'nothing else about the other project')
})
