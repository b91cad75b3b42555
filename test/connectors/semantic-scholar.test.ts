import t from 'tap'
import { SemanticScholarConnector, s2IdFor } from '../../src/connectors/semantic-scholar.ts'
import { emptyRecord } from '../../src/references/model.ts'
import { UpstreamHttpError } from '../../src/net/errors.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startSemanticScholarServer } from '../support/api-servers/semantic-scholar.ts'

const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

t.test('identifiers are written the way the Graph API expects', async (t) => {
  t.equal(s2IdFor('10.1000/ABC'), 'DOI:10.1000/abc')
  t.equal(s2IdFor('PMID: 123'), 'PMID:123')
  t.equal(s2IdFor('PMC42'), 'PMCID:42')
  t.equal(s2IdFor('arXiv:2101.00001v2'), 'ARXIV:2101.00001')
  t.equal(s2IdFor('CorpusId:215416146'), 'CorpusId:215416146')
  t.equal(s2IdFor('649def34f8be52c8b66281af98ae884c09aef38b'), '649def34f8be52c8b66281af98ae884c09aef38b')
  t.equal(s2IdFor('hello'), undefined)
})

t.test('a search pages by offset within the 1,000-result limit and says when more exist', async (t) => {
  const corpus = makeCorpus(1500)
  const server = await startSemanticScholarServer(corpus)
  t.teardown(server.close)
  const s2 = new SemanticScholarConnector({ baseUrl: server.baseUrl, apiKey: 's2-key', ...quick })
  const result = await s2.search('therapeutic alliance', { maxRecords: Infinity })
  t.equal(result.total, 1500)
  t.equal(result.records.length, 1000)
  t.match(result.notes.join(' '), /at most 1000 of the 1500/)
  t.equal(server.requests.length, 10)
  t.ok(server.requests.every((r) => r.headers['x-api-key'] === 's2-key' && Number(r.params.get('limit')) <= 100))
  t.ok(server.requests.every((r) => r.params.get('fields')!.includes('externalIds')))
  const paper = corpus[4]
  t.match(result.records[4], {
    sourceDatabase: 'Semantic Scholar', type: 'review', title: paper.title, doi: paper.doi, pmid: paper.pmid, pmcid: paper.pmcid,
    year: paper.year, journal: paper.journal, volume: paper.volume, pages: paper.pages, url: `https://www.semanticscholar.org/paper/${paper.s2Id}`
  })
  t.same(result.records[4].authors[0], { family: paper.authors[0].family, given: paper.authors[0].given })
  t.equal(result.records[5].arxivId, corpus[5].arxivId)
})

t.test('maxRecords below the limit and queries without hits', async (t) => {
  const server = await startSemanticScholarServer(makeCorpus(300))
  t.teardown(server.close)
  const s2 = new SemanticScholarConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await s2.search('x', { maxRecords: 150 })
  t.equal(result.records.length, 150)
  t.same(server.requests.map((r) => [r.params.get('offset'), r.params.get('limit')]), [['0', '100'], ['100', '50']])
  t.notOk(server.requests[0].headers['x-api-key'], 'no key header without a key')
  t.same(await s2.search('nohits', { maxRecords: 10 }).then((r) => [r.total, r.records.length]), [0, 0])
})

t.test('batch lookup keeps order and reports unknown ids', async (t) => {
  const corpus = makeCorpus(30)
  const server = await startSemanticScholarServer(corpus)
  t.teardown(server.close)
  const s2 = new SemanticScholarConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await s2.lookup([corpus[1].doi, `PMID:${corpus[2].pmid}`, '10.9999/none', corpus[4].pmcid!, 'whatever'])
  t.same(result.found.map((m) => [m.id, m.record.doi]), [[corpus[1].doi, corpus[1].doi], [`PMID:${corpus[2].pmid}`, corpus[2].doi], [corpus[4].pmcid, corpus[4].doi]])
  t.same(result.notFound, ['10.9999/none'])
  t.same(result.unsupported, ['whatever'])
  const batch = server.requests.find((r) => r.path.endsWith('/paper/batch'))!
  t.equal(batch.method, 'POST')
  t.same(JSON.parse(batch.body), { ids: [`DOI:${corpus[1].doi}`, `PMID:${corpus[2].pmid}`, 'DOI:10.9999/none', `PMCID:${corpus[4].pmcid!.slice(3)}`] })
})

t.test('citation chasing uses /references and /citations', async (t) => {
  const corpus = makeCorpus(100)
  const server = await startSemanticScholarServer(corpus)
  t.teardown(server.close)
  const s2 = new SemanticScholarConnector({ baseUrl: server.baseUrl, ...quick })
  const backward = await s2.backward({ ...emptyRecord(), doi: corpus[5].doi })
  t.equal(backward.seedId, `DOI:${corpus[5].doi}`)
  t.same(backward.records.map((r) => r.doi), corpus[5].references.map((n) => corpus[n].doi), 'unresolved references are left out')
  const forward = await s2.forward({ ...emptyRecord(), pmid: corpus[12].pmid, doi: '10.9999/unknown' })
  t.same(forward.records.map((r) => r.pmid).sort(), corpus.filter((p) => p.references.includes(12)).map((p) => p.pmid).sort(), 'falls back to the next identifier after a 404')
  const none = await s2.forward({ ...emptyRecord(), doi: '10.9999/unknown' })
  t.equal(none.seedFound, false)
})

t.test('429 from the shared pool is retried after Retry-After', async (t) => {
  const server = await startSemanticScholarServer(makeCorpus(10))
  t.teardown(server.close)
  server.injectFaults({ status: 429, headers: { 'retry-after': '1', 'content-type': 'application/json' }, body: '{"message": "Too Many Requests. Please wait and try again or apply for a key for higher rate limits."}' })
  const s2 = new SemanticScholarConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await s2.search('x', { maxRecords: 10 })
  t.equal(result.records.length, 10)
  server.injectFaults({ status: 400, body: '{"error":"Unrecognized or unsupported fields: [bogus]"}' })
  const error = await s2.search('x', { maxRecords: 10 }).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.match(error.message, /Unrecognized or unsupported fields/)
})
