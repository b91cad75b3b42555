import t from 'tap'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import { setErrorHandlers } from '../../src/app.ts'
import { lazySchemaCompilers } from '../../src/http/lazy-compilers.ts'
import { Stage } from '../../src/http/schemas/common.ts'
import { Criteria } from '../../src/http/schemas/projects.ts'
import {
  Conflict, Forbidden, Invalid, NotFound, RateLimited, TooLarge, Unauthenticated, Unavailable, Unprocessable, Unsupported, UpstreamFailed,
  type DomainError
} from '../../src/errors.ts'
import { QueueUnavailableError } from '../../src/tasks/service.ts'

// Each kind of domain error, as a service would throw it, and the answer the client must get.
const cases: Array<{ error: DomainError; status: number; name: string; headers?: Record<string, string> }> = [
  { error: new NotFound('project not found'), status: 404, name: 'Not Found' },
  { error: new Unauthenticated('invalid or revoked token'), status: 401, name: 'Unauthorized', headers: { 'www-authenticate': 'Bearer' } },
  { error: new Forbidden('viewers do not screen', 'decision'), status: 403, name: 'Forbidden' },
  { error: new Conflict('a project keeps an owner'), status: 409, name: 'Conflict' },
  { error: new Invalid('body.query must not be empty', 'query'), status: 400, name: 'Bad Request' },
  { error: new TooLarge('file is larger than the upload limit', 'file'), status: 413, name: 'Payload Too Large' },
  { error: new Unsupported('send the file as multipart/form-data'), status: 415, name: 'Unsupported Media Type' },
  { error: new Unprocessable('the file is empty', 'file'), status: 422, name: 'Unprocessable Entity' },
  { error: new RateLimited('too many sign-in attempts', 30), status: 429, name: 'Too Many Requests', headers: { 'retry-after': '30' } },
  { error: new Unavailable('the LLM server is busy'), status: 503, name: 'Service Unavailable', headers: { 'retry-after': '5' } },
  { error: new QueueUnavailableError('Redis is not connected'), status: 503, name: 'Service Unavailable', headers: { 'retry-after': '5' } },
  { error: new UpstreamFailed('the Ollama server did not answer'), status: 502, name: 'Bad Gateway' }
]

t.test('each domain error kind is answered with its status, message, field and headers', async (t) => {
  const app = Fastify()
  setErrorHandlers(app)
  app.get('/fail/:index', async (request) => {
    // A route that had started a file download: the error is JSON all the same.
    throw cases[Number((request.params as { index: string }).index)].error
  })
  t.teardown(() => app.close())
  for (const [index, c] of cases.entries()) {
    const res = await app.inject({ url: `/fail/${index}` })
    const label = c.error.constructor.name
    t.equal(res.statusCode, c.status, label)
    t.match(res.headers['content-type'], /^application\/json/, label)
    const body = res.json()
    t.same(body, { statusCode: c.status, error: c.name, message: c.error.message, ...(c.error.field ? { field: c.error.field } : {}) }, label)
    for (const [header, value] of Object.entries(c.headers ?? {})) t.equal(res.headers[header], value, `${label}: ${header}`)
    if (!c.headers?.['retry-after']) t.notOk(res.headers['retry-after'], `${label}: no Retry-After`)
  }
})

t.test('any other error is a 500 without its message', async (t) => {
  const app = Fastify({ logger: false })
  setErrorHandlers(app)
  app.get('/boom', async () => { throw new Error('relation "secret_table" does not exist') })
  const res = await app.inject({ url: '/boom' })
  t.equal(res.statusCode, 500)
  t.notMatch(res.body, /secret_table/)
})

t.test('a value refused by a union is answered about the branch it meant, or with the allowed values', async (t) => {
  // The service's validator options (src/server.ts).
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } }, schemaController: { compilersFactory: lazySchemaCompilers() } })
  setErrorHandlers(app)
  app.post('/projects', { schema: { querystring: Type.Object({ stage: Type.Optional(Stage) }), body: Type.Object({ criteria: Criteria }) } }, async () => ({}))
  t.teardown(() => app.close())
  const answer = async (url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, payload })
    t.equal(res.statusCode, 400)
    return res.json()
  }
  t.same(await answer('/projects?stage=abstract', { criteria: {} }), {
    statusCode: 400, error: 'Bad Request', field: 'stage', message: 'querystring.stage must be equal to one of the allowed values: title_abstract, full_text'
  })
  t.match(await answer('/projects', { criteria: { kind: 'text' } }), { field: 'criteria.text', message: 'body.criteria.text must have required property \'text\'' })
  t.match(await answer('/projects', { criteria: { kind: 'picot' } }), { field: 'criteria.kind', message: 'body.criteria.kind must be equal to one of the allowed values: pico, text' })
})
