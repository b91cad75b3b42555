/**
 * Fuzzing every operation of the OpenAPI document: each path parameter,
 * query parameter and body field (and the body as a whole) gets hostile
 * values — NUL, unpaired surrogates, huge and negative numbers, 1 MB
 * strings, wrong types, 10,000 levels of nesting — with real ids everywhere
 * else, so the mutated value reaches the handler. No answer may be a 5xx.
 * Deterministic: the values are fixed and the random junk comes from a seeded generator.
 */
import t from 'tap'
import path from 'node:path'
import { readdir } from 'node:fs/promises'
import { files } from '../../src/db/schema.ts'
import { startFakeOllama } from '../llm/ollama-server.ts'
import WebSocket from 'ws'
import { build, needsServices, userWithToken, multipart, taskFinished, waitFor } from '../helper.ts'
import { operations as documentOperations, sample as sampleFor, type JsonSchema } from '../support/openapi.ts'

const MB = 'x'.repeat(1 << 20)
const DEEP = 10000
const DEEP_MARK = '"__deep_nesting__"'

/** mulberry32: a small seeded generator, so every run sends the same junk. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
const random = seeded(20261203)
/** A short string of random UTF-16 code units, control characters and surrogates included. */
const junk = () => String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * 0x10000)))

/** Values for a JSON body field (DEEP_MARK is replaced by 10,000 nested arrays in the raw payload). */
const bodyValues = (): Array<[string, unknown]> => [
  ['NUL', 'a\u0000b'], ['unpaired surrogate', 'a\ud800b'], ['low surrogate', '\udc00'], ['1e21', 1e21], ['1e19', 1e19],
  ['1e308', 1e308], ['-1', -1], ['-1e21', -1e21], ['1.5', 1.5], ['1 MB string', MB], ['object', { a: { b: 'c' } }], ['array', ['a', 1]],
  ['array of NUL', ['\u0000']], ['boolean', true], ['null', null], ['empty string', ''], ['deep nesting', JSON.parse(DEEP_MARK)], ['junk', junk()],
  ['uuid-like junk', '00000000-0000-0000-0000-00000000000g']
]
/** The values also tried one level down. */
const NESTED = new Set(['NUL', 'unpaired surrogate', '1e21', '-1', 'object', 'null', 'deep nesting', 'junk'])
/** Raw query-string values (already percent-encoded). */
const queryValues = (): Array<[string, string]> => [
  ['NUL', 'a%00b'], ['invalid UTF-8 (CESU surrogate)', '%ED%A0%80'], ['1e21', '1e21'], ['19 nines', '9999999999999999999'],
  ['-1', '-1'], ['1.5', '1.5'], ['Infinity', 'Infinity'], ['NaN', 'NaN'], ['1 MB string', MB], ['bad escape', '%ZZ'], ['empty', ''],
  ['array', '1&{name}=2'], ['junk', encodeURIComponent(junk().replace(/[\ud800-\udfff]/g, '?'))]
]
/** Raw path-parameter values. */
const pathValues = (): Array<[string, string]> => [
  ['NUL', '%00'], ['invalid UTF-8', '%ED%A0%80'], ['huge number', '9'.repeat(25)], ['-1', '-1'], ['long', 'x'.repeat(99)],
  ['dot-dot', '..%2F..'], ['uppercase uuid', '6F9619FF-8B86-D011-B42D-00C04FC964FF'], ['nil uuid', '00000000-0000-0000-0000-000000000000']
]
/** Whole raw bodies sent as application/json. */
const rawBodies: Array<[string, string]> = [
  ['deep arrays', '['.repeat(DEEP) + ']'.repeat(DEEP)],
  ['deep objects', '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP)],
  ['NUL key', '{"\\u0000":1}'], ['surrogate key', '{"\\ud800":1}'], ['NUL string', '"\\u0000"'], ['invalid JSON', '{"a":'],
  ['number', '1e999'], ['array', '[1,2,3]'], ['__proto__', '{"__proto__":{"polluted":1}}'], ['null', 'null']
]

t.test('fuzzing every route of the OpenAPI document answers no 5xx', { skip: needsServices }, async (t) => {
  const closed = 'http://127.0.0.1:9'
  const ollama = await startFakeOllama({ models: ['llama3:latest'] })
  t.teardown(() => ollama.close())
  const app = await build(t, {
    PUBMED_BASE_URL: closed, NCBI_IDCONV_BASE_URL: closed, EUROPE_PMC_BASE_URL: closed, CROSSREF_BASE_URL: closed, OPENALEX_BASE_URL: closed,
    SEMANTIC_SCHOLAR_BASE_URL: closed, ARXIV_BASE_URL: closed, UNPAYWALL_BASE_URL: closed, OLLAMA_BASE_URL: ollama.baseUrl, SHUTDOWN_TIMEOUT_MS: '2000',
    OLLAMA_TIMEOUT_MS: '1000'
  })
  const admin = await userWithToken(app, undefined, true)
  const other = await userWithToken(app)
  const auth = admin.auth

  // A real project with articles, a decision, a task and a batch, a prompt, a profile.
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: auth, payload: { name: 'Fuzz', question: 'q?' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: auth, payload: { email: other.user.email, role: 'reviewer' } })
  const ris = ['Alliance with chatbots', 'Therapeutic alliance in apps', 'Digital coaching'].map((title, i) =>
    `TY  - JOUR\nTI  - ${title}\nAB  - An abstract about ${title}.\nPY  - 202${i}\nDO  - 10.1000/fuzz${i}\nER  - \n`).join('')
  const upload = multipart([{ name: 'file', value: ris, fileName: 'fuzz.ris' }])
  const importTask = (await app.inject({ method: 'POST', url: `/api/projects/${project.id}/imports`, headers: { ...auth, ...upload.headers }, payload: upload.payload })).json()
  t.equal((await taskFinished(app, auth, importTask.id)).status, 'succeeded')
  const articles = (await app.inject({ url: `/api/projects/${project.id}/articles`, headers: auth })).json().items as Array<{ id: string }>
  t.equal(articles.length, 3)
  const articleIds = articles.map((a) => a.id)
  await app.inject({ method: 'POST', url: `/api/projects/${project.id}/articles/${articleIds[0]}/decisions`, headers: auth, payload: { decision: 'include' } })
  const batchId = (await app.inject({ url: `/api/projects/${project.id}/sources`, headers: auth })).json()[0].id as string
  const prompt = (await app.inject({ method: 'POST', url: '/api/prompts', headers: auth, payload: { kind: 'screening', name: 'Fuzz', template: '{{title}}' } })).json()
  const profile = (await app.inject({
    method: 'POST', url: '/api/profiles', headers: auth,
    payload: { name: 'Fuzz', preprocessModel: 'llama3:latest', extractModel: 'llama3:latest', synthesisModel: 'llama3:latest' }
  })).json()

  const idFor = (route: string, name: string): string => {
    if (name === 'projectId') return project.id
    if (name === 'articleId') return articleIds[0]
    if (name === 'userId') return other.user.id
    if (name === 'taskId') return importTask.id
    if (name === 'batchId') return batchId
    if (route.startsWith('/api/prompts')) return prompt.id
    if (route.startsWith('/api/profiles')) return profile.id
    if (route.startsWith('/api/users')) return other.user.id
    return articleIds[0]
  }

  /** A valid-looking value for a schema, with real ids, so that a mutation of one field reaches the handler. */
  const ids = { articleIds, batchId, userId: other.user.id, email: other.user.email, url: `${closed}/export.ris` }
  const sample = (schema: JsonSchema | undefined, name: string) => sampleFor(schema, name, ids)

  const offenders: string[] = []
  let requests = 0
  const send = async (label: string, method: string, url: string, payload?: string, headers: Record<string, string> = {}) => {
    requests++
    const res = await app.inject({ method: method as 'GET', url, headers: { ...auth, ...headers }, ...(payload !== undefined ? { payload } : {}) })
    if (res.statusCode >= 500) offenders.push(`${method} ${url.slice(0, 160)} [${label}] → ${res.statusCode} ${res.body.slice(0, 200)}`)
  }
  // The multipart import: hostile file names and fields.
  const importUrl = `/api/projects/${project.id}/imports`
  const record = 'TY  - JOUR\nTI  - Fuzzed upload\nER  - \n'
  const parts: Array<[string, Parameters<typeof multipart>[0]]> = [
    ['NUL file name', [{ name: 'file', value: record, fileName: 'a\u0000b.ris' }]],
    ['5,000-byte file name', [{ name: 'file', value: record, fileName: `${'n'.repeat(4996)}.ris` }]],
    ['file name of 200 two-byte characters', [{ name: 'file', value: record, fileName: `${'é'.repeat(200)}.ris` }]],
    ['path in file name', [{ name: 'file', value: record, fileName: '../../../etc/passwd' }]],
    ['junk file name', [{ name: 'file', value: record, fileName: junk().replace(/["\r\n]/g, '') }]],
    ['NUL field', [{ name: 'sourceDatabase', value: 'Pub\u0000Med' }, { name: 'file', value: record, fileName: 'a.ris' }]],
    ['NUL field name', [{ name: 'source\u0000Database', value: 'PubMed' }, { name: 'file', value: record, fileName: 'a.ris' }]],
    ['1 MB field', [{ name: 'sourceDatabase', value: MB }, { name: 'file', value: record, fileName: 'a.ris' }]],
    ['NUL format', [{ name: 'format', value: 'ris\u0000' }, { name: 'file', value: record, fileName: 'a.ris' }]],
    ['NUL in the file', [{ name: 'file', value: 'TY  - JOUR\nTI  - nul\u0000title\nAU  - \u0000\nER  - \n', fileName: 'nul.ris' }]]
  ]
  for (const [label, body] of parts) {
    const mp = multipart(body)
    await send(`multipart ${label}`, 'POST', importUrl, mp.payload as unknown as string, mp.headers)
  }
  const uploads = path.join(app.storageDir, 'projects', project.id, 'uploads')
  t.equal((await readdir(uploads).catch(() => [])).length, await app.db.$count(files), 'every file in storage has its row: no upload orphaned by a refusal')

  // The WebSocket: hostile subscriptions are answered with errors, and the socket keeps working
  // (messages over 64 KiB close it with 1009, see plugins/globals.ts).
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/ws`, { headers: auth })
  const replies: Array<{ type: string }> = []
  socket.on('message', (d) => {
    const reply = JSON.parse(String(d))
    if (['error', 'subscribed', 'unsubscribed', 'pong'].includes(reply.type)) replies.push(reply) // not the project's events
  })
  await new Promise((resolve) => socket.once('open', resolve))
  const hostile = [
    ...['a\u0000b', '\ud800', 'x'.repeat(60000), '9'.repeat(25), '00000000-0000-0000-0000-000000000000'].map((projectId) => JSON.stringify({ type: 'subscribe', projectId })),
    JSON.stringify({ type: 'subscribe', projectId: { $ne: null } }), JSON.stringify({ type: 'unsubscribe', projectId: '\u0000' }),
    '['.repeat(DEEP) + ']'.repeat(DEEP), 'not json', '\u0000', JSON.stringify({ type: 'subscribe', projectId: project.id })
  ]
  for (const message of hostile) socket.send(message)
  socket.send(JSON.stringify({ type: 'ping' }))
  await waitFor(async () => replies.length > hostile.length)
  t.same(replies.map((r) => r.type).sort(), [...hostile.slice(0, -1).map((_, i) => i === 6 ? 'unsubscribed' : 'error'), 'subscribed', 'pong'].sort(), 'every hostile message answered, the socket still working')
  socket.close()

  const operations = (await documentOperations(app, auth))
    // Deletions last, the project's own deletion at the very end, so that the other routes see the project whole.
    .sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || Number(a.route === '/api/projects/{projectId}') - Number(b.route === '/api/projects/{projectId}'))
  t.ok(operations.length >= 50, `${operations.length} operations in the OpenAPI document`)

  const jsonPayload = (body: unknown) => JSON.stringify(body).replace(DEEP_MARK, '['.repeat(DEEP) + ']'.repeat(DEEP))
  const json = { 'content-type': 'application/json' }

  for (const { route, method, op } of operations) {
    const params = op.parameters ?? []
    const pathParams = params.filter((p) => p.in === 'path')
    const queryParams = params.filter((p) => p.in === 'query')
    const urlWith = (override: Record<string, string> = {}) =>
      route.replace(/\{(\w+)\}/g, (_, name: string) => override[name] ?? encodeURIComponent(idFor(route, name)))
    const content = op.requestBody?.content ?? {}
    const bodySchema = content['application/json']?.schema
    const baseBody = bodySchema ? sample(bodySchema, 'body') as Record<string, unknown> : undefined
    const basePayload = baseBody !== undefined ? JSON.stringify(baseBody) : undefined
    const bodyHeaders = baseBody !== undefined ? json : {}

    for (const p of pathParams) {
      for (const [label, value] of pathValues()) await send(`path ${p.name}=${label}`, method, urlWith({ [p.name]: value }), basePayload, bodyHeaders)
    }
    for (const p of queryParams) {
      for (const [label, value] of queryValues()) {
        await send(`query ${p.name}=${label}`, method, `${urlWith()}?${p.name}=${value.replace('{name}', p.name)}`, basePayload, bodyHeaders)
      }
    }
    if (bodySchema && baseBody && typeof baseBody === 'object' && !Array.isArray(baseBody)) {
      const fields = Object.keys(bodySchema.properties ?? {})
      for (const field of [...fields, 'unknownField']) {
        for (const [label, value] of bodyValues().filter(([label]) => field !== 'unknownField' || NESTED.has(label))) {
          await send(`body ${field}=${label}`, method, urlWith(), jsonPayload({ ...baseBody, [field]: value }), json)
          // One level down too, inside objects and as the element of an array (the values that are not big).
          if (!NESTED.has(label)) continue
          const prop = bodySchema.properties?.[field]
          const propType = [prop?.type].flat()[0]
          if (propType === 'array') await send(`body ${field}[0]=${label}`, method, urlWith(), jsonPayload({ ...baseBody, [field]: [value] }), json)
          if (propType === 'object' || prop?.anyOf) {
            const inner = Object.keys((prop?.properties ?? prop?.anyOf?.[0]?.properties) ?? { x: 0 })
            for (const key of inner) await send(`body ${field}.${key}=${label}`, method, urlWith(), jsonPayload({ ...baseBody, [field]: { ...(sample(prop, field) as object), [key]: value } }), json)
          }
        }
      }
    }
    if (method !== 'GET' && method !== 'HEAD') {
      for (const [label, raw] of rawBodies) await send(`raw body ${label}`, method, urlWith(), raw, json)
    }
  }

  t.comment(`${requests} requests over ${operations.length} operations`)
  t.same(offenders, [], `${offenders.length} requests answered 5xx:\n${offenders.slice(0, 60).join('\n')}`)
})
