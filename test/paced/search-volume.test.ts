import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { PUBMED_DEFAULT_BATCH_SIZE } from '../../src/connectors/pubmed.ts'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

t.test('a 10,000-record PubMed search runs through the service at the rate limit', { skip: needsServices }, async (t) => {
  const RECORDS = 10_000
  const pubmed = await startPubMedServer(makeCorpus(RECORDS, { fromYear: 1990, toYear: 2024 }))
  t.teardown(pubmed.close)
  const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Large search' } })).json()

  const res = await app.inject({
    method: 'POST', url: `/api/projects/${project.id}/searches`, headers: alice.auth,
    payload: { query: '(digital OR internet) AND therapeutic alliance', databases: ['pubmed'], maxRecordsPerDatabase: RECORDS }
  })
  t.equal(res.statusCode, 202)
  const task = await taskFinished(app, alice.auth, res.json().id, 110000)
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result.databases[0], { totalHits: RECORDS, retrieved: RECORDS, newRecords: RECORDS })
  t.match(task.result.databases[0].notes, [/query translation/, /2 publication-date ranges/], 'past PubMed\'s 9,999-record window the search is split by date')
  const [{ count, distinct }] = await app.db.select({ count: sql<number>`count(*)::int`, distinct: sql<number>`count(DISTINCT pmid)::int` })
    .from(articles).where(eq(articles.projectId, project.id))
  t.same({ count, distinct }, { count: RECORDS, distinct: RECORDS }, 'every record stored once')

  // At a fixed rate the time is set by the number of requests (bench/search-ratelimit.ts measures it):
  // none is sent twice, and the records come in full batches but for the last of each date range.
  const sent = pubmed.requests.map((r) => `${r.method} ${r.path} ${[...r.params].sort().join('&')}`)
  t.equal(new Set(sent).size, sent.length, 'no request repeated')
  const efetch = pubmed.requests.filter((r) => r.path.endsWith('efetch.fcgi'))
  const ranges = pubmed.requests.filter((r) => r.path.endsWith('esearch.fcgi') && /\[dp\]/.test(r.params.get('term') ?? '')).length
  t.ok(efetch.length <= RECORDS / PUBMED_DEFAULT_BATCH_SIZE + ranges, `${efetch.length} efetch requests for ${RECORDS} records in batches of ${PUBMED_DEFAULT_BATCH_SIZE}`)
})
