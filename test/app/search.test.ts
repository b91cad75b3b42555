import t from 'tap'
import { and, eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { articles, searchRuns, sourceBatches } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken, waitFor, taskFinished as finished } from '../helper.ts'
import { startArxivServer } from '../support/api-servers/arxiv.ts'
import { makeCorpus, type CorpusPaper } from '../support/api-servers/corpus.ts'
import { startCrossrefServer } from '../support/api-servers/crossref.ts'
import { startEuropePmcServer } from '../support/api-servers/europepmc.ts'
import { startOpenAlexServer } from '../support/api-servers/openalex.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

type Test = { teardown(fn: () => unknown): void }
type Auth = { authorization: string }

/** Local copies of the databases over one corpus; PubMed shows only the first `visible` papers. */
async function databases(t: Test, corpus: CorpusPaper[]) {
  const state = { visible: corpus.length }
  const pubmed = await startPubMedServer(corpus, { match: (query, paper) => !query.includes('nohits') && paper.n < state.visible })
  const europepmc = await startEuropePmcServer(corpus)
  const crossref = await startCrossrefServer(corpus)
  const openalex = await startOpenAlexServer(corpus)
  // A fresh arXiv server per test: its limiter (one request every 3 s) is per base URL.
  const arxiv = await startArxivServer(corpus)
  t.teardown(async () => {
    for (const server of [pubmed, europepmc, crossref, openalex, arxiv]) await server.close()
  })
  const env = {
    CONTACT_EMAIL: 'review-team@example.org', PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl,
    EUROPE_PMC_BASE_URL: europepmc.baseUrl, CROSSREF_BASE_URL: crossref.origin, OPENALEX_BASE_URL: openalex.origin, ARXIV_BASE_URL: arxiv.baseUrl
  }
  return { state, pubmed, europepmc, crossref, openalex, arxiv, env }
}

async function setup(t: Test, env: Record<string, string>) {
  const app = await build(t, env)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Digital alliance' } })).json()
  return { app, alice, projectId: project.id as string, base: `/api/projects/${project.id}` }
}

async function search(app: FastifyInstance, auth: Auth, base: string, payload: object) {
  const res = await app.inject({ method: 'POST', url: `${base}/searches`, headers: auth, payload })
  if (res.statusCode !== 202) throw new Error(`search refused: ${res.statusCode} ${res.body}`)
  return finished(app, auth, res.json().id)
}

t.test('GET /api/databases lists every database with what is configured', { skip: needsServices }, async (t) => {
  const app = await build(t, { PUBMED_BASE_URL: 'http://127.0.0.1:9/eutils', NCBI_API_KEY: 'secret-key' })
  const { auth } = await userWithToken(app)
  const list = (await app.inject({ url: '/api/databases', headers: auth })).json()
  t.same(list.map((d: { id: string }) => d.id), ['pubmed', 'europepmc', 'crossref', 'openalex', 'semanticscholar', 'arxiv', 'unpaywall'])
  const pubmed = list.find((d: { id: string }) => d.id === 'pubmed')
  t.match(pubmed, { configured: true, baseUrl: 'http://127.0.0.1:9/eutils', rateLimit: { requestsPerSecond: 10 }, supports: { search: true, citations: false } })
  t.notMatch(JSON.stringify(list), /secret-key/, 'API keys are never shown')
  t.match(list.find((d: { id: string }) => d.id === 'unpaywall'), { configured: false, missing: 'CONTACT_EMAIL', supports: { search: false, openAccessPdf: true } })

  const withEmail = await build(t, { CONTACT_EMAIL: 'team@example.org' })
  const bob = await userWithToken(withEmail)
  const again = (await withEmail.inject({ url: '/api/databases', headers: bob.auth })).json()
  t.match(again.find((d: { id: string }) => d.id === 'unpaywall'), { configured: true })
  t.match(again.find((d: { id: string }) => d.id === 'crossref'), { rateLimit: { note: /polite/ } })
  t.equal((await withEmail.inject({ url: '/api/databases' })).statusCode, 401)
})

t.test('a simple search runs on several databases and logs each for PRISMA-S', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(30)
  const db = await databases(t, corpus)
  const { app, alice, projectId, base } = await setup(t, db.env)
  const events: Array<Record<string, unknown>> = []
  t.teardown(app.events.subscribe(projectId, (e) => { if (e.type === 'search.progress') events.push(e) }))

  const query = 'therapeutic alliance AND (digital OR internet)'
  const task = await search(app, alice.auth, base, { query, databases: ['pubmed', 'crossref', 'openalex'], maxRecordsPerDatabase: 20 })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.equal(task.type, 'search')
  t.same(task.result.succeeded.sort(), ['crossref', 'openalex', 'pubmed'])
  t.same(task.result.failed, [])
  for (const outcome of task.result.databases) {
    t.match(outcome, { status: 'succeeded', query, totalHits: 30, retrieved: 20, newRecords: 20 }, outcome.database)
  }
  t.equal(task.result.newRecords, 60, 'each database keeps its own records: PRISMA counts what each returned')
  t.match(task.result.deduplication, { clusters: 20, duplicates: 40 }, 'the same papers from three databases are linked as duplicates')

  t.equal(db.pubmed.requests.find((r) => r.path.endsWith('esearch.fcgi'))?.params.get('term'), query, 'the query reaches PubMed as written')
  t.equal(db.crossref.requests[0].params.get('query'), query)
  t.equal(db.openalex.requests[0].params.get('search'), query)
  t.equal(db.pubmed.requests[0].params.get('email'), 'review-team@example.org', 'the contact address comes from the configuration')

  const runs = (await app.inject({ url: `${base}/searches`, headers: alice.auth })).json()
  t.equal(runs.length, 3)
  for (const run of runs) {
    t.match(run, { query, queryAsSent: query, status: 'succeeded', totalHits: 30, retrieved: 20, newRecords: 20, maxRecords: 20, taskId: task.id })
    t.ok(run.startedAt && run.finishedAt && run.batchId, 'date and batch recorded')
  }
  t.same(runs.map((r: { databaseLabel: string }) => r.databaseLabel).sort(), ['Crossref', 'OpenAlex', 'PubMed'])

  const batches = await app.db.select().from(sourceBatches).where(eq(sourceBatches.projectId, projectId))
  t.same(batches.map((b) => [b.kind, b.sourceDatabase, b.recordsRead, b.recordsImported]).sort(),
    [['search', 'Crossref', 20, 20], ['search', 'OpenAlex', 20, 20], ['search', 'PubMed', 20, 20]])
  const stored = await app.db.select().from(articles).where(and(eq(articles.projectId, projectId), eq(articles.sourceDatabase, 'PubMed')))
  t.equal(stored.length, 20)
  const paper = corpus[3]
  const row = stored.find((a) => a.pmid === paper.pmid)
  t.match(row, { doi: paper.doi, year: paper.year, journal: paper.journal }, 'records are normalised like imports')
  t.ok(row?.original, 'the API record is kept as the original')

  const listed = (await app.inject({ url: `${base}/articles`, headers: alice.auth })).json()
  t.equal(listed.total, 20, 'the article list shows one record per paper')

  const databasesSeen = new Set(events.map((e) => e.database))
  t.same([...databasesSeen].sort(), ['crossref', 'openalex', 'pubmed'], 'progress events name each database')
  t.ok(events.some((e) => e.database === 'pubmed' && e.retrieved === 20 && e.total === 20), 'progress reaches the total')
})

t.test('expert mode sends each database its own syntax, untouched', { skip: needsServices }, async (t) => {
  const db = await databases(t, makeCorpus(30))
  const { app, alice, base } = await setup(t, db.env)
  const queries = {
    pubmed: '("therapeutic alliance"[tiab] OR alliance[mh]) AND digital[tiab]',
    arxiv: 'ti:"therapeutic alliance" AND cat:cs.HC ANDNOT abs:robot'
  }
  const task = await search(app, alice.auth, base, { queries, maxRecordsPerDatabase: 100 })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.same(task.result.succeeded.sort(), ['arxiv', 'pubmed'])
  const arxivRequest = db.arxiv.requests.find((r) => r.path === '/api/query')!
  t.equal(arxivRequest.params.get('search_query'), queries.arxiv, 'arXiv field prefixes and operators arrive as written, not quoted')
  t.equal(db.pubmed.requests[0].params.get('term'), queries.pubmed)
  const runs = (await app.inject({ url: `${base}/searches`, headers: alice.auth })).json()
  t.same(Object.fromEntries(runs.map((r: { database: string; query: string }) => [r.database, r.query])), queries)
  t.match(runs.find((r: { database: string }) => r.database === 'arxiv'), { totalHits: 6, retrieved: 6, newRecords: 6, queryAsSent: queries.arxiv })
  t.match(task.result.databases.find((d: { database: string }) => d.database === 'pubmed').notes, [/query translation/], 'PubMed\'s query translation is reported')
})

t.test('a failing database is reported while the others complete', { skip: needsServices }, async (t) => {
  const db = await databases(t, makeCorpus(12))
  // Crossref answers 503 to every attempt (the connector retries 4 times), Europe PMC serves an HTML page in place of JSON.
  for (let i = 0; i < 5; i++) db.crossref.injectFaults({ status: 503, headers: { 'retry-after': '0' }, body: 'Service Unavailable', pathEndsWith: '/works' })
  db.europepmc.injectFaults({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Down for maintenance</body></html>' })
  const { app, alice, projectId, base } = await setup(t, db.env)

  const task = await search(app, alice.auth, base, { query: 'alliance', databases: ['pubmed', 'crossref', 'europepmc'] })
  t.equal(task.status, 'succeeded', 'the task succeeds with what could be searched')
  t.same(task.result.succeeded, ['pubmed'])
  t.same(task.result.failed.sort(), ['crossref', 'europepmc'])
  const crossref = task.result.databases.find((d: { database: string }) => d.database === 'crossref')
  t.match(crossref, { status: 'failed', error: /HTTP 503.*after 5 attempts/, newRecords: 0, batchId: null })
  t.equal(db.crossref.requests.length, 5, 'Crossref was retried before giving up')
  t.match(task.result.databases.find((d: { database: string }) => d.database === 'europepmc'), { status: 'failed', error: /not JSON/ })
  t.equal(db.europepmc.requests.length, 1, 'a malformed answer is not retried')

  const runs = (await app.inject({ url: `${base}/searches`, headers: alice.auth })).json()
  const status = Object.fromEntries(runs.map((r: { database: string; status: string }) => [r.database, r.status]))
  t.same(status, { pubmed: 'succeeded', crossref: 'failed', europepmc: 'failed' })
  t.match(runs.find((r: { database: string }) => r.database === 'crossref'), { error: /503/, newRecords: 0, finishedAt: String })
  const batches = await app.db.select().from(sourceBatches).where(eq(sourceBatches.projectId, projectId))
  t.same(batches.map((b) => b.sourceDatabase), ['PubMed'], 'failed databases leave no batch and no records')
  t.equal((await app.db.select().from(articles).where(eq(articles.projectId, projectId))).length, 12)

  // When every database fails the task fails, saying why, with the per-database result.
  for (let i = 0; i < 5; i++) db.crossref.injectFaults({ status: 502, headers: { 'retry-after': '0' }, pathEndsWith: '/works' })
  const allFailed = await search(app, alice.auth, base, { query: 'alliance', databases: ['crossref'] })
  t.equal(allFailed.status, 'failed')
  t.match(allFailed.error, /every database failed: Crossref: HTTP 502/)
  t.match(allFailed.result, { failed: ['crossref'], succeeded: [] })
})

t.test('re-running a search adds only the records that are new to the project', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(15)
  const db = await databases(t, corpus)
  const { app, alice, projectId, base } = await setup(t, db.env)
  db.state.visible = 10
  const first = await search(app, alice.auth, base, { query: 'alliance', databases: ['pubmed'] })
  t.match(first.result.databases[0], { totalHits: 10, retrieved: 10, newRecords: 10 })

  db.state.visible = 15 // a month later, five more papers match
  const second = await search(app, alice.auth, base, { query: 'alliance', databases: ['pubmed'] })
  t.equal(second.status, 'succeeded', second.error ?? '')
  t.match(second.result.databases[0], { totalHits: 15, retrieved: 15, newRecords: 5 })
  const stored = await app.db.select({ pmid: articles.pmid, batchId: articles.batchId }).from(articles).where(eq(articles.projectId, projectId))
  t.equal(stored.length, 15, 'no paper stored twice')
  t.same(stored.filter((s) => s.batchId === second.result.databases[0].batchId).map((s) => s.pmid).sort(), corpus.slice(10).map((p) => p.pmid).sort())

  // Other databases find the same papers by DOI: nothing is added, and the log says so.
  const third = await search(app, alice.auth, base, { query: 'alliance', databases: ['crossref'] })
  t.match(third.result.databases[0], { retrieved: 15, newRecords: 0 })
  t.equal(third.result.deduplication, null, 'nothing new, nothing to deduplicate')
  const runs = (await app.inject({ url: `${base}/searches`, headers: alice.auth })).json()
  t.same(runs.map((r: { database: string; retrieved: number; newRecords: number }) => [r.database, r.retrieved, r.newRecords]),
    [['crossref', 15, 0], ['pubmed', 15, 5], ['pubmed', 10, 10]], 'newest first')
})

t.test('a cancelled search leaves no records behind', { skip: needsServices }, async (t) => {
  const db = await databases(t, makeCorpus(10))
  db.pubmed.injectFaults({ delayMs: 3000, pathEndsWith: 'efetch.fcgi' })
  const { app, alice, projectId, base } = await setup(t, db.env)
  const res = await app.inject({ method: 'POST', url: `${base}/searches`, headers: alice.auth, payload: { query: 'alliance', databases: ['pubmed', 'openalex'] } })
  t.equal(res.statusCode, 202)
  await waitFor(async () => db.pubmed.requests.some((r) => r.path.endsWith('efetch.fcgi')))
  t.equal((await app.inject({ method: 'POST', url: `/api/tasks/${res.json().id}/cancel`, headers: alice.auth })).statusCode, 200)
  const runs = await waitFor(async () => {
    const list = await app.db.select().from(searchRuns).where(eq(searchRuns.taskId, res.json().id))
    return list.length === 2 && list.every((r) => r.status === 'cancelled') && list
  })
  t.ok(runs.every((r) => r.batchId === null))
  t.equal((await app.db.select().from(articles).where(eq(articles.projectId, projectId))).length, 0, 'OpenAlex records already stored are removed too')
  t.equal((await app.db.select().from(sourceBatches).where(eq(sourceBatches.projectId, projectId))).length, 0)
})

t.test('bad search requests are refused with a 400 naming the field; non-members get 404', { skip: needsServices }, async (t) => {
  const { app, alice, base } = await setup(t, {})
  const post = (payload: object) => app.inject({ method: 'POST', url: `${base}/searches`, headers: alice.auth, payload })
  const cases: Array<[object, string]> = [
    [{}, 'query'],
    [{ query: 'alliance' }, 'databases'],
    [{ query: '   ', databases: ['pubmed'] }, 'query'],
    [{ query: 'alliance', databases: [] }, 'databases'],
    [{ query: 'alliance', databases: ['scopus'] }, 'databases.0'],
    [{ query: 'alliance', databases: ['unpaywall'] }, 'databases.0'],
    [{ query: 'alliance', databases: ['pubmed', 'pubmed'] }, 'databases'],
    [{ query: 'alliance', databases: ['pubmed'], maxRecordsPerDatabase: 0 }, 'maxRecordsPerDatabase'],
    [{ query: 'alliance', databases: ['pubmed'], maxRecordsPerDatabase: 1e9 }, 'maxRecordsPerDatabase'],
    [{ query: 'alliance', databases: ['pubmed'], sort: 'date' }, 'sort'],
    [{ queries: {} }, 'queries'],
    [{ queries: { embase: 'x' } }, 'queries.embase'],
    [{ queries: { pubmed: '' } }, 'queries.pubmed'],
    [{ queries: { pubmed: 'x' }, query: 'y', databases: ['arxiv'] }, 'queries']
  ]
  for (const [payload, field] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().field, field, `${JSON.stringify(payload)} names ${field}`)
  }
  t.equal((await app.db.select().from(searchRuns)).length, 0, 'nothing was queued')

  const mallory = await userWithToken(app)
  t.equal((await app.inject({ method: 'POST', url: `${base}/searches`, headers: mallory.auth, payload: { query: 'x', databases: ['pubmed'] } })).statusCode, 404)
  t.equal((await app.inject({ url: `${base}/searches`, headers: mallory.auth })).statusCode, 404)
  t.equal((await app.inject({ url: '/api/projects/not-a-uuid/searches', headers: alice.auth })).statusCode, 400)
})
