import t from 'tap'
import { eq } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

t.test('two searches of one project at once add each record once', { skip: needsServices }, async (t) => {
  // "first" finds papers 0–199, "second" papers 100–299: 100 records in common.
  const corpus = makeCorpus(300)
  const pubmed = await startPubMedServer(corpus, {
    match: (query, paper) => (query.includes('first') ? paper.n < 200 : paper.n >= 100)
  })
  t.teardown(pubmed.close)
  const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl, JOB_CONCURRENCY: '2' })
  const alice = await userWithToken(app)
  const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Both at once' } })).json().id as string

  const taskIds = await Promise.all(['first query', 'second query'].map(async (query) => {
    const res = await app.inject({
      method: 'POST', url: `/api/projects/${projectId}/searches`, headers: alice.auth, payload: { query, databases: ['pubmed'] }
    })
    t.equal(res.statusCode, 202)
    return res.json().id as string
  }))
  const tasks = await Promise.all(taskIds.map((id) => taskFinished(app, alice.auth, id)))
  for (const task of tasks) t.equal(task.status, 'succeeded', task.error ?? '')
  t.same(tasks.map((task) => task.result.databases[0].retrieved), [200, 200], 'each search retrieved its 200 records')
  const added = tasks.map((task) => task.result.databases[0].newRecords as number)
  t.equal(added[0] + added[1], 300, `the records in common were added by one search only (${added.join(' + ')})`)

  const rows = await app.db.select({ pmid: articles.pmid }).from(articles).where(eq(articles.projectId, projectId))
  t.equal(rows.length, 300, 'the project holds 300 records')
  t.equal(new Set(rows.map((r) => r.pmid)).size, rows.length, 'each record once')
  const log = (await app.inject({ url: `/api/projects/${projectId}/searches`, headers: alice.auth })).json()
  t.same(log.map((run: { newRecords: number }) => run.newRecords).sort(), [...added].sort(), 'the search log counts what each search added')
})

t.test('two identifier lookups at once add a record they share once, and report it as already in the project', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(30)
  const pubmed = await startPubMedServer(corpus)
  t.teardown(pubmed.close)
  const app = await build(t, { PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl, JOB_CONCURRENCY: '2' })
  const alice = await userWithToken(app)
  const projectId = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Known studies' } })).json().id as string
  // PMIDs 0–19 and 10–29: 10 in common.
  const lists = [corpus.slice(0, 20), corpus.slice(10, 30)].map((papers) => papers.map((p) => p.pmid))
  const taskIds = await Promise.all(lists.map(async (pmids) => {
    const res = await app.inject({ method: 'POST', url: `/api/projects/${projectId}/identifiers`, headers: alice.auth, payload: { pmids } })
    t.equal(res.statusCode, 202)
    return res.json().id as string
  }))
  const tasks = await Promise.all(taskIds.map((id) => taskFinished(app, alice.auth, id)))
  for (const task of tasks) t.equal(task.status, 'succeeded', task.error ?? '')
  const added = tasks.map((task) => task.result.added as number)
  const already = tasks.map((task) => task.result.alreadyInProject.pmids.length as number)
  t.equal(added[0] + added[1], 30, `the PMIDs in common were added by one lookup only (${added.join(' + ')})`)
  t.equal(already[0] + already[1], 10, 'and reported as already in the project by the other')
  const rows = await app.db.select({ pmid: articles.pmid }).from(articles).where(eq(articles.projectId, projectId))
  t.equal(rows.length, 30, 'the project holds 30 records')
})
