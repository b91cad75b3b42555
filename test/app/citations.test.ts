import t from 'tap'
import { and, eq } from 'drizzle-orm'
import { articles, sourceBatches } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken, taskFinished as finished } from '../helper.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startOpenAlexServer } from '../support/api-servers/openalex.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'
import { startSemanticScholarServer } from '../support/api-servers/semantic-scholar.ts'

t.test('citation chasing adds the new references and citing works as a separate source', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(30)
  const pubmed = await startPubMedServer(corpus)
  const openalex = await startOpenAlexServer(corpus)
  const s2 = await startSemanticScholarServer(corpus)
  t.teardown(async () => { for (const s of [pubmed, openalex, s2]) await s.close() })
  const app = await build(t, {
    CONTACT_EMAIL: 'team@example.org', PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl,
    OPENALEX_BASE_URL: openalex.origin, SEMANTIC_SCHOLAR_BASE_URL: s2.baseUrl
  })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Chasing' } })).json()
  const base = `/api/projects/${project.id}`
  const run = async (url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url: `${base}/${url}`, headers: alice.auth, payload })
    t.equal(res.statusCode, 202, `${url} accepted`)
    return finished(app, alice.auth, res.json().id)
  }
  const projectPmids = async () => new Set((await app.db.select({ pmid: articles.pmid }).from(articles).where(eq(articles.projectId, project.id))).map((a) => a.pmid))

  // Seeds and one of their references come from PubMed, as after a search.
  const seeded = await run('identifiers', { pmids: [corpus[4].pmid, corpus[5].pmid, corpus[6].pmid] })
  t.equal(seeded.result.added, 3)
  const idOf = async (n: number) => (await app.db.select({ id: articles.id }).from(articles)
    .where(and(eq(articles.projectId, project.id), eq(articles.pmid, corpus[n].pmid))))[0].id
  const seeds = [await idOf(4), await idOf(5)]

  const before = await projectPmids()
  const references = [...corpus[4].references, ...corpus[5].references]
  const expectedNew = [...new Set(references.filter((n) => !before.has(corpus[n].pmid)))]
  const backward = await run('citations', { articleIds: seeds, direction: 'backward', database: 'openalex' })
  t.equal(backward.status, 'succeeded', backward.error ?? '')
  t.equal(backward.type, 'citations')
  t.match(backward.result, {
    database: 'openalex', direction: 'backward', retrieved: references.length, added: expectedNew.length,
    alreadyInProject: references.length - expectedNew.length, repeated: 0
  })
  t.match(backward.result.seeds, [
    { articleId: seeds[0], seedFound: true, seedId: corpus[4].openalexId, backward: { total: corpus[4].references.length, retrieved: corpus[4].references.length } },
    { articleId: seeds[1], seedFound: true, seedId: corpus[5].openalexId, backward: { total: corpus[5].references.length } }
  ])
  t.ok(openalex.requests.some((r) => decodeURIComponent(r.path) === `/works/doi:${corpus[4].doi}`), 'a PubMed seed is found in OpenAlex by its DOI')
  const [batch] = await app.db.select().from(sourceBatches)
    .where(and(eq(sourceBatches.projectId, project.id), eq(sourceBatches.kind, 'citations')))
  t.match(batch, { sourceDatabase: 'OpenAlex', recordsRead: references.length, recordsImported: expectedNew.length, taskId: backward.id })
  const added = await app.db.select({ doi: articles.doi, sourceDatabase: articles.sourceDatabase }).from(articles).where(eq(articles.batchId, batch.id))
  t.same(added.map((a) => a.doi).sort(), expectedNew.map((n) => corpus[n].doi).sort())
  t.ok(added.every((a) => a.sourceDatabase === 'OpenAlex'))
  t.equal(backward.result.batchId, batch.id)

  // Both directions from Semantic Scholar: the references are all known by now; the citing works are new.
  const now = await projectPmids()
  const citing = corpus.filter((p) => p.references.includes(5))
  const citingNew = citing.filter((p) => !now.has(p.pmid))
  const both = await run('citations', { articleIds: [seeds[1]], direction: 'both', database: 'semanticscholar' })
  t.equal(both.status, 'succeeded', both.error ?? '')
  t.match(both.result.seeds[0], {
    seedFound: true, seedId: `DOI:${corpus[5].doi}`,
    backward: { total: corpus[5].references.length + 1, retrieved: corpus[5].references.length }, // one unresolved reference is skipped
    forward: { total: citing.length, retrieved: citing.length }, added: citingNew.length
  })
  t.match(both.result, { alreadyInProject: corpus[5].references.length + citing.length - citingNew.length, added: citingNew.length })

  // A limit per article, and a seed the database does not know.
  const [unknown] = await app.db.insert(articles).values({ projectId: project.id, title: 'A paper OpenAlex never saw', doi: '10.9999/nowhere' }).returning({ id: articles.id })
  const limited = await run('citations', { articleIds: [seeds[0], unknown.id], direction: 'backward', database: 'openalex', maxRecordsPerArticle: 2 })
  t.match(limited.result.seeds, [{ seedFound: true, backward: { total: corpus[4].references.length, retrieved: 2 } }, { articleId: unknown.id, seedFound: false, added: 0 }])
  t.match(limited.result, { retrieved: 2, added: 0, batchId: null }, 'nothing new: no empty batch')
})

t.test('bad citation requests are refused; articles must belong to the project', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'P' } })).json()
  const [article] = await app.db.insert(articles).values({ projectId: project.id, title: 'Seed', doi: '10.1000/seed' }).returning({ id: articles.id })
  const post = (payload: object, auth = alice.auth) => app.inject({ method: 'POST', url: `/api/projects/${project.id}/citations`, headers: auth, payload })
  const ok = { articleIds: [article.id], direction: 'backward', database: 'openalex' }
  const cases: Array<[object, string]> = [
    [{ ...ok, direction: 'sideways' }, 'direction'],
    [{ ...ok, database: 'pubmed' }, 'database'],
    [{ ...ok, articleIds: [] }, 'articleIds'],
    [{ ...ok, articleIds: ['not-a-uuid'] }, 'articleIds.0'],
    [{ ...ok, maxRecordsPerArticle: 0 }, 'maxRecordsPerArticle'],
    [{ direction: 'both', database: 'openalex' }, 'articleIds'],
    [{ ...ok, extra: true }, 'extra']
  ]
  for (const [payload, field] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().field, field)
  }
  const stranger = '00000000-0000-4000-8000-000000000000'
  const missing = await post({ ...ok, articleIds: [article.id, stranger] })
  t.equal(missing.statusCode, 404)
  t.match(missing.json(), { field: 'articleIds', message: new RegExp(stranger) })
  const mallory = await userWithToken(app)
  t.equal((await post(ok, mallory.auth)).statusCode, 404)
})
