import t from 'tap'
import { ArxivConnector } from '../../src/connectors/arxiv.ts'
import { ApiError, ResponseFormatError } from '../../src/net/errors.ts'
import { abstractPlain, makeCorpus } from '../support/api-servers/corpus.ts'
import { startArxivServer } from '../support/api-servers/arxiv.ts'

const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

t.test('field syntax and boolean operators reach arXiv exactly as written', async (t) => {
  const server = await startArxivServer(makeCorpus(50))
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, ...quick })
  const query = 'ti:"therapeutic alliance" AND (abs:chatbot OR abs:conversational) ANDNOT au:del_maestro AND cat:cs.HC'
  const result = await arxiv.search(query, { maxRecords: 5 })
  t.equal(result.queryAsSent, query)
  t.equal(server.requests[0].params.get('search_query'), query, 'decoded parameter is the query, unquoted')
  t.notMatch(server.requests[0].query.toString(), /%5C|%27/, 'nothing escaped or wrapped in extra quotes')
  t.equal(server.requests[0].params.get('sortBy'), 'submittedDate')
})

t.test('a search pages through the Atom feed to opensearch:totalResults and maps entries', async (t) => {
  const corpus = makeCorpus(3000)
  const papers = corpus.filter((p) => p.arxivId)
  const server = await startArxivServer(corpus)
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, ...quick, pageSize: 250 })
  const result = await arxiv.search('all:alliance', { maxRecords: Infinity })
  t.equal(result.total, papers.length)
  t.equal(result.records.length, papers.length)
  t.same(server.requests.map((r) => r.params.get('start')), ['0', '250', '500'])
  const paper = papers[2]
  const record = result.records[2]
  t.match(record, {
    sourceDatabase: 'arXiv', type: 'preprint', arxivId: paper.arxivId, title: paper.title, year: paper.year, doi: paper.doi,
    url: `https://arxiv.org/abs/${paper.arxivId}`, keywords: ['cs.HC', 'cs.CY']
  })
  t.equal(record.abstract, abstractPlain(paper).replace(/\n/g, ' '))
  t.same(record.authors[0], { family: paper.authors[0].family, given: paper.authors[0].given })
  t.match(record.notes, [/^Journal reference: /, '12 pages, 3 figures'])
  t.equal(result.records[1].doi, undefined, 'entries without arxiv:doi have no DOI')
})

t.test('the default rate is one request every three seconds', async (t) => {
  const server = await startArxivServer(makeCorpus(30))
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, pageSize: 3 })
  const result = await arxiv.search('all:x', { maxRecords: 6 })
  t.equal(result.records.length, 6)
  t.equal(server.requests.length, 2)
  const gap = server.requests[1].at - server.requests[0].at
  t.ok(gap >= 3000, `second request ${gap.toFixed(0)} ms after the first`)
})

t.test('lookup by arXiv id reports ids arXiv does not have', async (t) => {
  const corpus = makeCorpus(30)
  const server = await startArxivServer(corpus)
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await arxiv.lookup([`arXiv:${corpus[5].arxivId}v1`, `https://arxiv.org/abs/${corpus[10].arxivId}`, '2501.99999', '10.1000/x'])
  t.same(result.found.map((m) => m.record.arxivId), [corpus[5].arxivId, corpus[10].arxivId])
  t.same(result.notFound, ['2501.99999'])
  t.same(result.unsupported, ['10.1000/x'])
  t.equal(server.requests[0].params.get('id_list'), `${corpus[5].arxivId},${corpus[10].arxivId},2501.99999`)
})

t.test('arXiv error feeds and non-Atom answers are reported', async (t) => {
  const server = await startArxivServer(makeCorpus(30))
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, ...quick })
  server.injectFaults({ status: 200, body: (await import('../support/api-servers/arxiv.ts')).arxivErrorFeed('incorrect id format for 1234.1'), headers: { 'content-type': 'application/atom+xml' } })
  const error = await arxiv.search('all:x', { maxRecords: 5 }).catch((e) => e)
  t.type(error, ApiError)
  t.match(error.message, /incorrect id format/)
  server.injectFaults({ status: 200, body: '<html><body>Rate exceeded.</body></html>' })
  await t.rejects(arxiv.search('all:x', { maxRecords: 5 }), ResponseFormatError)
})

t.test('an empty page before the total is asked again', async (t) => {
  const server = await startArxivServer(makeCorpus(60))
  t.teardown(server.close)
  const arxiv = new ArxivConnector({ baseUrl: server.baseUrl, ...quick, pageSize: 5 })
  const { arxivFeed } = await import('../support/api-servers/arxiv.ts')
  await arxiv.search('all:x', { maxRecords: 5 })
  server.injectFaults({ status: 200, body: arxivFeed('x', 12, 0, []), headers: { 'content-type': 'application/atom+xml' } })
  const result = await arxiv.search('all:x', { maxRecords: Infinity })
  t.equal(result.records.length, 12)
})
