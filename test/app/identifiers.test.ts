import t from 'tap'
import { eq } from 'drizzle-orm'
import { articles, sourceBatches } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken, taskFinished as finished } from '../helper.ts'
import { startArxivServer } from '../support/api-servers/arxiv.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startCrossrefServer } from '../support/api-servers/crossref.ts'
import { startOpenAlexServer } from '../support/api-servers/openalex.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'

t.test('identifiers are resolved by the right database; unknown ones are reported, never invented', { skip: needsServices }, async (t) => {
  const corpus = makeCorpus(20)
  const pubmed = await startPubMedServer(corpus)
  // Crossref registers only the first 15 DOIs: the others belong to another agency, which OpenAlex knows.
  const crossref = await startCrossrefServer(corpus.slice(0, 15))
  const openalex = await startOpenAlexServer(corpus)
  const arxiv = await startArxivServer(corpus)
  t.teardown(async () => { for (const s of [pubmed, crossref, openalex, arxiv]) await s.close() })
  const app = await build(t, {
    CONTACT_EMAIL: 'team@example.org', PUBMED_BASE_URL: pubmed.baseUrl, NCBI_IDCONV_BASE_URL: pubmed.idconvUrl,
    CROSSREF_BASE_URL: crossref.origin, OPENALEX_BASE_URL: openalex.origin, ARXIV_BASE_URL: arxiv.baseUrl
  })
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'Known studies' } })).json()
  const base = `/api/projects/${project.id}`
  const submit = async (payload: object) => {
    const res = await app.inject({ method: 'POST', url: `${base}/identifiers`, headers: alice.auth, payload })
    t.equal(res.statusCode, 202, 'accepted')
    return finished(app, alice.auth, res.json().id)
  }

  const task = await submit({
    pmids: [corpus[1].pmid, '99999999', `PMID: ${corpus[2].pmid}`],
    pmcids: [corpus[4].pmcid!, 'PMC1'],
    dois: [`https://doi.org/${corpus[6].doi.toUpperCase()}`, corpus[16].doi, '10.9999/unknown.1'],
    arxivIds: [`arXiv:${corpus[10].arxivId}v2`, '2001.99999']
  })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.equal(task.type, 'identifiers')
  t.match(task.result, { requested: 10, found: 6, added: 6, failed: [] })
  t.same(task.result.notFound, { pmids: ['99999999'], dois: ['10.9999/unknown.1'], pmcids: ['PMC1'], arxivIds: ['2001.99999'] })
  t.same(task.result.resolvedBy, { pubmed: 3, crossref: 1, openalex: 1, arxiv: 1 })
  t.ok(crossref.requests.some((r) => r.path === `/works/${corpus[16].doi}`) && openalex.requests.some((r) => r.params.get('filter')?.includes(corpus[16].doi)),
    'a DOI Crossref does not register is asked of OpenAlex')
  t.ok(pubmed.requests.some((r) => r.path.includes('idconv') && r.params.get('ids') === `${corpus[4].pmcid},PMC1`), 'PMCIDs go through the ID converter in one batch')

  const stored = await app.db.select().from(articles).where(eq(articles.projectId, project.id))
  const bySource = (source: string) => stored.filter((a) => a.sourceDatabase === source).map((a) => a.pmid ?? a.doi ?? a.arxivId).sort()
  t.same(bySource('PubMed'), [corpus[1].pmid, corpus[2].pmid, corpus[4].pmid].sort())
  t.same(stored.filter((a) => a.sourceDatabase === 'Crossref').map((a) => a.doi), [corpus[6].doi])
  t.same(stored.filter((a) => a.sourceDatabase === 'OpenAlex').map((a) => a.doi), [corpus[16].doi])
  t.same(stored.filter((a) => a.sourceDatabase === 'arXiv').map((a) => a.arxivId), [corpus[10].arxivId])
  t.notOk(stored.some((a) => a.pmid === '99999999' || a.doi === '10.9999/unknown.1'), 'no record stands in for an unknown identifier')
  const [batch] = await app.db.select().from(sourceBatches).where(eq(sourceBatches.projectId, project.id))
  t.match(batch, { kind: 'identifiers', recordsRead: 6, recordsImported: 6, taskId: task.id })
  t.same(batch.sourceDatabase?.split(', ').sort(), ['Crossref', 'OpenAlex', 'PubMed', 'arXiv'])

  // Identifiers of records the project holds add nothing; two identifiers of one new paper add it once.
  const again = await submit({ pmids: [corpus[1].pmid, corpus[3].pmid], dois: [corpus[1].doi, corpus[3].doi] })
  t.equal(again.status, 'succeeded', again.error ?? '')
  t.match(again.result, { found: 4, added: 1 })
  t.same(again.result.alreadyInProject, { pmids: [corpus[1].pmid], dois: [corpus[1].doi], pmcids: [], arxivIds: [] })
  t.same(again.result.sameRecordAsAnother, { pmids: [], dois: [corpus[3].doi], pmcids: [], arxivIds: [] })
  t.equal((await app.db.select().from(articles).where(eq(articles.projectId, project.id))).length, 7)

  // Crossref down: its DOIs are reported as failed, the PubMed ones are still added.
  for (let i = 0; i < 5; i++) crossref.injectFaults({ status: 503, headers: { 'retry-after': '0' } })
  const partial = await submit({ pmids: [corpus[5].pmid], dois: [corpus[7].doi] })
  t.equal(partial.status, 'succeeded', partial.error ?? '')
  t.match(partial.result, { added: 1, failed: [{ database: 'crossref', ids: [corpus[7].doi], error: /HTTP 503/ }] })
  t.same(partial.result.notFound.dois, [], 'a failed lookup is not reported as an unknown identifier')
})

t.test('invalid identifiers are refused with a 400 naming them; non-members get 404', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const alice = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: alice.auth, payload: { name: 'P' } })).json()
  const post = (payload: object, auth = alice.auth) => app.inject({ method: 'POST', url: `/api/projects/${project.id}/identifiers`, headers: auth, payload })
  const cases: Array<[object, string, RegExp]> = [
    [{ pmids: ['12345', '12a', 'pmid 7'] }, 'pmids', /"12a"/],
    [{ dois: ['10.1000/ok', 'not a doi', 'see 10.1000/x'] }, 'dois', /"not a doi", "see 10\.1000\/x"/],
    [{ pmcids: ['1234567'] }, 'pmcids', /"1234567"/],
    [{ arxivIds: ['2101.00001', 'hello'] }, 'arxivIds', /"hello"/],
    [{}, 'pmids', /at least one/],
    [{ pmids: [] }, 'pmids', /at least one/],
    [{ isbns: ['978-3-16-148410-0'] }, 'isbns', /additional/],
    [{ pmids: [''] }, 'pmids.0', /./]
  ]
  for (const [payload, field, message] of cases) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    t.equal(res.json().field, field, JSON.stringify(payload))
    t.match(res.json().message, message)
  }
  const mallory = await userWithToken(app)
  t.equal((await post({ pmids: ['123'] }, mallory.auth)).statusCode, 404)
})
