import t from 'tap'
import { eq, sql } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken, waitFor } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

t.test('a 10,000-record PubMed search runs through the service at the rate limit', { skip: needsServices }, async (t) => {
  const RECORDS = 10_000
  const pubmed = await startPubMedServer(makeCorpus(RECORDS, { fromYear: 1990, toYear: 2024 }))
  t.teardown(pubmed.close)
  const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Large search' } })).json()

  const started = performance.now()
  const res = await app.inject({
    method: 'POST', url: `/api/projects/${project.id}/searches`, headers: alice.auth,
    payload: { query: '(digital OR internet) AND therapeutic alliance', databases: ['pubmed'], maxRecordsPerDatabase: RECORDS }
  })
  t.equal(res.statusCode, 202)
  const task = await waitFor(async () => {
    const current = (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: alice.auth })).json()
    return ['succeeded', 'failed'].includes(current.status) && current
  }, 55000, 200)
  const seconds = (performance.now() - started) / 1000
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result.databases[0], { totalHits: RECORDS, retrieved: RECORDS, newRecords: RECORDS })
  t.match(task.result.databases[0].notes, [/query translation/, /2 publication-date ranges/], 'past PubMed\'s 9,999-record window the search is split by date')
  const [{ count, distinct }] = await app.db.select({ count: sql<number>`count(*)::int`, distinct: sql<number>`count(DISTINCT pmid)::int` })
    .from(articles).where(eq(articles.projectId, project.id))
  t.same({ count, distinct }, { count: RECORDS, distinct: RECORDS }, 'every record stored once')

  // At 3 requests/s (no API key) the requests alone need requests / 3 seconds.
  const minimum = pubmed.requests.length / 3
  const dedupSeconds = (task.result.deduplication?.durationMs ?? 0) / 1000
  t.comment(`${pubmed.requests.length} requests, ${seconds.toFixed(1)} s end to end (minimum at 3/s: ${minimum.toFixed(1)} s; deduplication ${dedupSeconds.toFixed(1)} s)`)
  t.ok(seconds - dedupSeconds < minimum * 1.5 + 3, 'retrieval and storage stay close to the rate limit')
})
