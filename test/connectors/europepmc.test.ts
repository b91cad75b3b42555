import t from 'tap'
import { EuropePmcConnector } from '../../src/connectors/europepmc.ts'
import { UpstreamHttpError, ResponseFormatError } from '../../src/net/errors.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startEuropePmcServer } from '../support/api-servers/europepmc.ts'

const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

t.test('a search follows cursorMark to the end and maps core results', async (t) => {
  const corpus = makeCorpus(2345)
  const server = await startEuropePmcServer(corpus)
  t.teardown(server.close)
  const europepmc = new EuropePmcConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await europepmc.search('"therapeutic alliance" AND OPEN_ACCESS:y', { maxRecords: Infinity })
  t.equal(result.total, 2345)
  t.equal(result.records.length, 2345)
  t.same(server.requests.map((r) => r.params.get('pageSize')), ['1000', '1000', '1000', '1000'], 'the last request sees the cursor repeated')
  t.ok(server.requests.every((r) => r.params.get('format') === 'json' && r.params.get('resultType') === 'core'))
  t.equal(server.requests[0].params.get('cursorMark'), '*')
  t.equal(server.requests[0].params.get('query'), '"therapeutic alliance" AND OPEN_ACCESS:y')
  const paper = corpus[4]
  const record = result.records[4]
  t.match(record, {
    sourceDatabase: 'Europe PMC', type: 'review', title: paper.title, pmid: paper.pmid, pmcid: paper.pmcid, doi: paper.doi, year: paper.year,
    journal: paper.journal, volume: paper.volume, issue: paper.issue, pages: paper.pages, keywords: paper.keywords, mesh: paper.mesh,
    url: `https://europepmc.org/article/MED/${paper.pmid}`
  })
  t.equal(record.abstract, `BACKGROUND: ${paper.abstract[0].text}\nRESULTS: ${paper.abstract[1].text}`, 'HTML headings become labels')
  t.same(record.authors[0], { family: paper.authors[0].family, given: paper.authors[0].given })
  t.same(result.records[0].authors.at(-1), { family: 'AnalyLit Study Group', literal: true })
  t.equal(result.records[0].authors[0].orcid, corpus[0].authors[0].orcid)
  t.match(record.original, { id: paper.pmid, source: 'MED' })
})

t.test('maxRecords asks only for what is needed', async (t) => {
  const server = await startEuropePmcServer(makeCorpus(2345))
  t.teardown(server.close)
  const europepmc = new EuropePmcConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await europepmc.search('x', { maxRecords: 1200 })
  t.equal(result.records.length, 1200)
  t.same(server.requests.map((r) => r.params.get('pageSize')), ['1000', '200'])
})

t.test('lookup finds PMIDs, PMCIDs and DOIs and reports the unknown', async (t) => {
  const corpus = makeCorpus(30)
  const server = await startEuropePmcServer(corpus)
  t.teardown(server.close)
  const europepmc = new EuropePmcConnector({ baseUrl: server.baseUrl, ...quick })
  const result = await europepmc.lookup([corpus[3].pmid, corpus[6].pmcid!, corpus[9].doi, '39999999', 'PMC1', '10.9999/none', 'hep-th/9901001'])
  t.same(result.found.map((m) => [m.id, m.record.pmid]), [[corpus[3].pmid, corpus[3].pmid], [corpus[6].pmcid, corpus[6].pmid], [corpus[9].doi, corpus[9].pmid]])
  t.same(result.notFound, ['39999999', 'PMC1', '10.9999/none'])
  t.same(result.unsupported, ['hep-th/9901001'])
})

t.test('malformed answers and refused requests are reported clearly', async (t) => {
  const server = await startEuropePmcServer(makeCorpus(10))
  t.teardown(server.close)
  const europepmc = new EuropePmcConnector({ baseUrl: server.baseUrl, ...quick, pageSize: 1000 })
  server.injectFaults({ status: 200, body: '{"version":"6.9","resultList":{}}', headers: { 'content-type': 'application/json' } })
  await t.rejects(europepmc.search('x', { maxRecords: 10 }), ResponseFormatError)
  const tooBig = new EuropePmcConnector({ baseUrl: server.baseUrl, ...quick })
  ;(tooBig as unknown as { pageSize: number }).pageSize = 5000
  const error = await tooBig.search('x', { maxRecords: Infinity }).catch((e) => e)
  t.type(error, UpstreamHttpError)
  t.equal(error.status, 400)
})
