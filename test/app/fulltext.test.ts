import t from 'tap'
import { createHash } from 'node:crypto'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, files } from '../../src/db/schema.ts'
import { projectStorageDir } from '../../src/services/projects.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { sendText, startApiServer } from '../support/api-servers/server.ts'
import { startUnpaywallServer } from '../support/api-servers/unpaywall.ts'

type Auth = { authorization: string }

const PDF = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n'), Buffer.alloc(20_000, 'p'), Buffer.from('\n%%EOF\n')])
const DOI = { open: '10.5555/open.1', landing: '10.5555/landing.2', huge: '10.5555/huge.3', closed: '10.5555/closed.4', excluded: '10.5555/excluded.5' }

async function servers(t: { teardown(fn: () => unknown): void }) {
  const publisher = await startApiServer((req, res) => {
    if (req.path === '/paper.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(PDF.length) })
      res.end(PDF)
    } else if (req.path === '/huge.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' }) // no length: the cap is enforced while streaming
      res.end(Buffer.concat([PDF, Buffer.alloc(200_000, 'q')]))
    } else if (req.path === '/landing.pdf') {
      sendText(res, 200, '<!doctype html><html><head><title>Sign in</title></head><body>Institutional access required.</body></html>', 'text/html')
    } else sendText(res, 404, 'not found')
  })
  const unpaywall = await startUnpaywallServer({
    [DOI.open]: [{ url_for_pdf: `${publisher.origin}/paper.pdf`, host_type: 'repository', license: 'cc-by', version: 'acceptedVersion' }],
    [DOI.landing]: [{ url_for_pdf: `${publisher.origin}/landing.pdf` }],
    [DOI.huge]: [{ url_for_pdf: `${publisher.origin}/huge.pdf` }],
    [DOI.closed]: [],
    [DOI.excluded]: [{ url_for_pdf: `${publisher.origin}/paper.pdf` }]
  })
  t.teardown(async () => {
    await publisher.close()
    await unpaywall.close()
  })
  return { publisher, unpaywall }
}

async function setup(app: FastifyInstance) {
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Full texts' } })).json()
  const insert = async (title: string, doi: string | null) =>
    (await app.db.insert(articles).values({ projectId: project.id, title, doi }).returning({ id: articles.id }))[0].id
  const ids = {
    open: await insert('Open paper', DOI.open), landing: await insert('Paywalled paper', DOI.landing), huge: await insert('Huge paper', DOI.huge),
    closed: await insert('Closed paper', DOI.closed), noDoi: await insert('Paper without DOI', null), excluded: await insert('Excluded paper', DOI.excluded),
    undecided: await insert('Undecided paper', '10.5555/undecided.6')
  }
  const decide = (articleId: string, decision: string) => app.inject({
    method: 'POST', url: `/api/projects/${project.id}/articles/${articleId}/decisions`, headers: alice.auth, payload: { decision }
  })
  for (const id of [ids.open, ids.landing, ids.huge, ids.closed, ids.noDoi]) await decide(id, 'include')
  await decide(ids.excluded, 'include')
  await decide(ids.excluded, 'exclude') // the latest decision counts
  return { alice, projectId: project.id as string, base: `/api/projects/${project.id}`, ids }
}

async function run(app: FastifyInstance, auth: Auth, base: string, payload?: object) {
  const res = await app.inject({ method: 'POST', url: `${base}/fulltext`, headers: auth, ...(payload ? { payload } : {}) })
  if (res.statusCode !== 202) throw new Error(`refused: ${res.statusCode} ${res.body}`)
  return taskFinished(app, auth, res.json().id)
}

t.test('open-access PDFs of included records are downloaded, checked, stored and served', { skip: needsServices }, async (t) => {
  const { publisher, unpaywall } = await servers(t)
  const app = await build(t, {
    CONTACT_EMAIL: 'team@example.org', UNPAYWALL_BASE_URL: unpaywall.baseUrl, ALLOW_PRIVATE_DOWNLOADS: 'true', FULLTEXT_MAX_BYTES: '100000'
  })
  const { alice, projectId, base, ids } = await setup(app)

  const task = await run(app, alice.auth, base)
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.equal(task.type, 'fulltext')
  t.match(task.result, { requested: 4, downloaded: 1, unavailable: 3, errors: 0, skipped: 0 }, 'included records with a DOI only')
  const outcome = (id: string) => task.result.outcomes.find((o: { articleId: string }) => o.articleId === id)
  t.match(outcome(ids.open), { status: 'downloaded', doi: DOI.open, bytes: PDF.length, url: `${publisher.origin}/paper.pdf`, hostType: 'repository', license: 'cc-by' })
  t.match(outcome(ids.landing), { status: 'download-failed', attempts: [{ reason: 'not-pdf' }] }, 'an HTML page is not taken for a PDF')
  t.match(outcome(ids.huge), { status: 'download-failed', attempts: [{ reason: 'too-large' }] }, 'FULLTEXT_MAX_BYTES is enforced')
  t.match(outcome(ids.closed), { status: 'not-open-access' })
  t.notOk(outcome(ids.excluded) ?? outcome(ids.noDoi) ?? outcome(ids.undecided), 'excluded, DOI-less and undecided records are left alone')
  t.equal(unpaywall.requests[0].params.get('email'), 'team@example.org')

  const [article] = await app.db.select().from(articles).where(eq(articles.id, ids.open))
  t.equal(article.fullTextFileId, outcome(ids.open).fileId)
  const [file] = await app.db.select().from(files).where(eq(files.id, article.fullTextFileId!))
  t.match(file, { projectId, origin: 'unpaywall', originUrl: `${publisher.origin}/paper.pdf`, contentType: 'application/pdf', size: PDF.length,
    sha256: createHash('sha256').update(PDF).digest('hex') })
  const dir = path.join(projectStorageDir(app.config.STORAGE_DIR, projectId), 'fulltext')
  t.equal(path.resolve(app.config.STORAGE_DIR, file.storagePath), path.join(dir, path.basename(file.storagePath)), 'stored under the project\'s fulltext folder')
  t.same(await readdir(dir), [path.basename(file.storagePath)], 'refused downloads leave no file behind')
  for (const id of [ids.landing, ids.huge, ids.closed]) {
    t.equal((await app.db.select().from(articles).where(eq(articles.id, id)))[0].fullTextFileId, null)
  }

  const served = await app.inject({ url: `${base}/articles/${ids.open}/fulltext`, headers: alice.auth })
  t.equal(served.statusCode, 200)
  t.equal(served.headers['content-type'], 'application/pdf')
  t.match(served.headers['content-disposition'], /^inline; filename="10\.5555_open\.1\.pdf"$/)
  t.same(served.rawPayload, PDF)
  t.equal((await app.inject({ url: `${base}/articles/${ids.landing}/fulltext`, headers: alice.auth })).statusCode, 404, 'no full text: 404')
  const mallory = await userWithToken(app)
  t.equal((await app.inject({ url: `${base}/articles/${ids.open}/fulltext`, headers: mallory.auth })).statusCode, 404, 'non-members get 404')

  // Named articles: one that has its full text already, one without DOI.
  const named = await run(app, alice.auth, base, { articleIds: [ids.open, ids.noDoi] })
  t.same(named.result.outcomes.map((o: { status: string }) => o.status), ['already-has-full-text', 'no-doi'])
  t.equal((await app.db.select().from(files).where(eq(files.projectId, projectId))).length, 1)
  const again = await run(app, alice.auth, base)
  t.equal(again.result.requested, 3, 'a record with its full text is not fetched again')
})

t.test('by default, PDFs on loopback and private addresses are refused', { skip: needsServices }, async (t) => {
  const { unpaywall } = await servers(t)
  const app = await build(t, { CONTACT_EMAIL: 'team@example.org', UNPAYWALL_BASE_URL: unpaywall.baseUrl })
  t.equal(app.config.ALLOW_PRIVATE_DOWNLOADS, false)
  const { alice, base, ids } = await setup(app)
  const task = await run(app, alice.auth, base, { articleIds: [ids.open] })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result.outcomes, [{ articleId: ids.open, status: 'download-failed', attempts: [{ reason: 'blocked-address', message: /127\.0\.0\.1/ }] }])
  t.equal((await app.db.select().from(files)).length, 0)
  t.equal((await app.inject({ url: `${base}/articles/${ids.open}/fulltext`, headers: alice.auth })).statusCode, 404)
})

t.test('bad full-text requests are refused; Unpaywall needs a contact address', { skip: needsServices }, async (t) => {
  const app = await build(t, { CONTACT_EMAIL: 'team@example.org', UNPAYWALL_BASE_URL: 'http://127.0.0.1:9/v2' })
  const { alice, base, ids } = await setup(app)
  const post = (payload: object, auth = alice.auth) => app.inject({ method: 'POST', url: `${base}/fulltext`, headers: auth, payload })
  for (const [payload, field] of [[{ articleIds: ['nope'] }, 'articleIds.0'], [{ articleIds: [] }, 'articleIds'], [{ all: true }, 'all']] as Array<[object, string]>) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().field, field)
  }
  const stranger = '00000000-0000-4000-8000-000000000000'
  t.match((await post({ articleIds: [ids.open, stranger] })).json(), { statusCode: 404, field: 'articleIds', message: new RegExp(stranger) })
  const mallory = await userWithToken(app)
  t.equal((await post({}, mallory.auth)).statusCode, 404)
  t.equal((await app.inject({ url: `${base}/articles/not-a-uuid/fulltext`, headers: alice.auth })).statusCode, 400)

  const noEmail = await build(t)
  const bob = await userWithToken(noEmail)
  const project = (await noEmail.inject({ method: 'POST', url: '/api/projects', headers: bob.auth, payload: { name: 'P' } })).json()
  const refused = await noEmail.inject({ method: 'POST', url: `/api/projects/${project.id}/fulltext`, headers: bob.auth, payload: {} })
  t.equal(refused.statusCode, 409)
  t.match(refused.json().message, /CONTACT_EMAIL/)
})
