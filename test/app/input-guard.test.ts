/**
 * The input rules of every route (src/http/input-guard.ts): what PostgreSQL
 * or the file system cannot take is a 400 naming the field, never a 500, and
 * a refused upload leaves nothing behind.
 */
import t from 'tap'
import path from 'node:path'
import { readdir } from 'node:fs/promises'
import { files, tasks } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken, multipart, fileUpload, taskFinished } from '../helper.ts'

t.test('bad input is a 400 naming the field', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const auth = alice.auth
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Guard' } })).json()
  const p = `/api/projects/${project.id}`
  const record = 'TY  - JOUR\nTI  - A record\nER  - \n'
  const json = { ...auth, 'content-type': 'application/json' }
  const upload = (parts: Parameters<typeof multipart>[0]) => {
    const body = multipart(parts)
    return app.inject({ method: 'POST', url: `${p}/imports`, headers: { ...auth, ...body.headers }, payload: body.payload })
  }

  type Res = { statusCode: number; body: string; json(): { statusCode: number; error: string; message: string; field?: string } }
  const cases: Array<[string, () => Promise<Res>, string, RegExp]> = [
    ['NUL in a JSON string', () => app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'a\u0000b' } }), 'name', /NUL/],
    ['NUL deep in a JSON body', () => app.inject({ method: 'PATCH', url: p, headers: auth, payload: { criteria: { kind: 'pico', inclusion: ['ok', 'b\u0000'] } } }), 'criteria.inclusion.1', /NUL/],
    ['NUL in a JSON key', () => app.inject({ method: 'PATCH', url: p, headers: json, payload: '{"criteria":{"\\u0000":1}}' }), 'criteria', /key.*NUL/],
    ['unpaired surrogate in a search', () => app.inject({ method: 'POST', url: `${p}/searches`, headers: auth, payload: { query: 'alliance \ud800' } }), 'query', /surrogate/],
    ['unpaired low surrogate in a decision note', () => app.inject({ method: 'PATCH', url: p, headers: auth, payload: { question: '\udc00?' } }), 'question', /surrogate/],
    ['NUL in a query string', () => app.inject({ headers: auth, url: `${p}/articles?q=alliance%00` }), 'q', /NUL/],
    ['NUL in a path parameter', () => app.inject({ headers: auth, url: '/api/tasks/%00' }), 'taskId', /NUL/],
    ['page=1e21', () => app.inject({ headers: auth, url: `${p}/articles?page=1e21` }), 'page', /<=/],
    ['pageSize of 19 nines', () => app.inject({ headers: auth, url: `${p}/articles?pageSize=9999999999999999999` }), 'pageSize', /<=/],
    ['offset=1e21', () => app.inject({ headers: auth, url: `${p}/decisions?offset=1e21` }), 'offset', /<=/],
    ['limit=Infinity', () => app.inject({ headers: auth, url: `${p}/tasks?limit=Infinity` }), 'limit', /finite/],
    ['page=-Infinity', () => app.inject({ headers: auth, url: `${p}/articles?page=-Infinity` }), 'page', /.+/],
    ['1e999 in a JSON body', () => app.inject({ method: 'POST', url: `${p}/screening/simulations`, headers: json, payload: '{"labels":"screening","seeds":1e999}' }), 'seeds', /finite/],
    ['10,000 nested arrays', () => app.inject({ method: 'POST', url: '/api/projects', headers: json, payload: '['.repeat(10000) + ']'.repeat(10000) }), '', /nested|JSON|body/],
    ['10,000 nested objects in a field', () => app.inject({ method: 'PATCH', url: p, headers: json, payload: `{"criteria":${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}` }), '', /nested|criteria/],
    ['1 MB string in the criteria', () => app.inject({ method: 'PATCH', url: p, headers: auth, payload: { criteria: { kind: 'text', text: 'x'.repeat(1 << 20) } } }), 'criteria', /.+/],
    ['an unclosed IPv6 URL', () => app.inject({ method: 'POST', url: `${p}/imports/url`, headers: auth, payload: { url: 'http://[::1' } }), 'url', /valid URL/],
    ['port 99999', () => app.inject({ method: 'POST', url: `${p}/imports/url`, headers: auth, payload: { url: 'http://example.org:99999/x.ris' } }), 'url', /valid URL/],
    ['NUL in an upload file name', () => upload([{ name: 'file', value: record, fileName: 'a\u0000b.ris' }]), 'file', /NUL/],
    ['a 5,000-byte upload file name', () => upload([{ name: 'file', value: record, fileName: `${'n'.repeat(4996)}.ris` }]), 'file', /255 bytes/],
    ['NUL in a multipart field', () => upload([{ name: 'sourceDatabase', value: 'Pub\u0000Med' }, { name: 'file', value: record, fileName: 'a.ris' }]), 'sourceDatabase', /NUL/],
    ['NUL in a field after the file', () => upload([{ name: 'file', value: record, fileName: 'a.ris' }, { name: 'sourceDatabase', value: 'Pub\u0000Med' }]), 'sourceDatabase', /NUL/],
    ['a 1 MB multipart field', () => upload([{ name: 'sourceDatabase', value: 'x'.repeat(1 << 20) }, { name: 'file', value: record, fileName: 'a.ris' }]), 'sourceDatabase', /1000/]
  ]
  for (const [label, request, field, message] of cases) {
    const res = await request()
    t.equal(res.statusCode, 400, `${label}: ${res.body.slice(0, 200)}`)
    const body = res.json()
    if (field) t.match(body.field ?? '', field, `${label} names ${field}`)
    t.match(body.message, message, label)
    t.match(body, { statusCode: 400, error: 'Bad Request' }, label)
  }

  t.equal(await app.db.$count(files), 0, 'no file row')
  t.equal(await app.db.$count(tasks), 0, 'no task')
  const uploads = path.join(app.storageDir, 'projects', project.id, 'uploads')
  t.same(await readdir(uploads).catch(() => []), [], 'no upload left in storage')

  t.test('over HTTP, a refused file name or field is answered at once, the file unread', async (t) => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' })
    const file = new Blob([Buffer.alloc(4 << 20, 'a')])
    const badName = new FormData()
    badName.append('file', file, `${'n'.repeat(4996)}.ris`)
    const badField = new FormData()
    badField.append('sourceDatabase', 'Pub\u0000Med')
    badField.append('file', file, 'a.ris')
    for (const [form, field] of [[badName, 'file'], [badField, 'sourceDatabase']] as const) {
      const res = await fetch(`${address}${p}/imports`, { method: 'POST', headers: auth, body: form })
      t.equal(res.status, 400)
      t.match(await res.json(), { field })
    }
    t.same(await readdir(uploads).catch(() => []), [], 'nothing stored')
  })

  t.test('a long file name within 255 bytes is kept as the original name; the stored file has a generated one', async (t) => {
    const name = `${'é'.repeat(120)}.ris`
    const body = fileUpload(name, record)
    const res = await app.inject({ method: 'POST', url: `${p}/imports`, headers: { ...auth, ...body.headers }, payload: body.payload })
    t.equal(res.statusCode, 202, res.body)
    t.equal((await taskFinished(app, auth, res.json().id)).status, 'succeeded')
    const sources = (await app.inject({ url: `${p}/sources`, headers: auth })).json()
    t.equal(sources[0].fileName, name)
    const stored = await readdir(uploads)
    t.equal(stored.length, 1)
    t.match(stored[0], /^[0-9a-f-]{36}\.ris$/)
  })
})
