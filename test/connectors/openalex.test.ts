import t from 'tap'
import { OpenAlexConnector } from '../../src/connectors/openalex.ts'
import { invertedIndexToText } from '../../src/connectors/common.ts'
import { emptyRecord } from '../../src/references/model.ts'
import { ResponseFormatError } from '../../src/net/errors.ts'
import { abstractPlain, makeCorpus } from '../support/api-servers/corpus.ts'
import { startOpenAlexServer } from '../support/api-servers/openalex.ts'

const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

t.test('inverted-index abstracts are rebuilt in word order', async (t) => {
  t.equal(invertedIndexToText({ Despite: [0], growing: [1], interest: [2, 5], in: [3], the: [4] }), 'Despite growing interest in the interest')
  t.equal(invertedIndexToText(null), undefined)
})

t.test('a search pages with cursors to the end and maps works', async (t) => {
  const corpus = makeCorpus(450)
  const server = await startOpenAlexServer(corpus)
  t.teardown(server.close)
  const openalex = new OpenAlexConnector({ baseUrl: server.origin, email: 'team@example.org', apiKey: 'oa-key', ...quick })
  const result = await openalex.search('digital therapeutic alliance', { maxRecords: Infinity })
  t.equal(result.total, 450)
  t.equal(result.records.length, 450)
  t.equal(server.requests.length, 6, 'five pages with results, then the empty page whose next_cursor is null')
  t.ok(server.requests.every((r) => r.params.get('search') === 'digital therapeutic alliance' && r.params.get('mailto') === 'team@example.org' && r.params.get('api_key') === 'oa-key'))
  t.equal(server.requests[0].params.get('cursor'), '*')
  const paper = corpus[6]
  const record = result.records[6]
  t.match(record, {
    sourceDatabase: 'OpenAlex', title: paper.title, doi: paper.doi, pmid: paper.pmid, pmcid: paper.pmcid, year: paper.year, journal: paper.journal,
    volume: paper.volume, issue: paper.issue, pages: paper.pages, issn: [paper.issn], keywords: paper.keywords, mesh: paper.mesh,
    url: `https://openalex.org/${paper.openalexId}`
  })
  t.equal(record.abstract, abstractPlain(paper).replace(/\n/g, ' '))
  t.same(record.authors[0], { family: paper.authors[0].family, given: paper.authors[0].given, orcid: paper.authors[0].orcid })
  t.match(record.original, { id: `https://openalex.org/${paper.openalexId}` })
})

t.test('maxRecords shortens the last page', async (t) => {
  const server = await startOpenAlexServer(makeCorpus(450))
  t.teardown(server.close)
  const openalex = new OpenAlexConnector({ baseUrl: server.origin, ...quick })
  const result = await openalex.search('x', { maxRecords: 130 })
  t.equal(result.records.length, 130)
  t.same(server.requests.map((r) => r.params.get('per_page')), ['100', '30'])
})

t.test('lookup by DOI, PMID, PMCID and OpenAlex id; unknown ids are reported', async (t) => {
  const corpus = makeCorpus(120)
  const server = await startOpenAlexServer(corpus)
  t.teardown(server.close)
  const openalex = new OpenAlexConnector({ baseUrl: server.origin, ...quick })
  const dois = corpus.slice(0, 60).map((p) => p.doi)
  const result = await openalex.lookup([...dois, corpus[70].pmid, corpus[72].pmcid!, `https://openalex.org/${corpus[75].openalexId}`, '10.9999/none', 'W1', 'not an id'])
  t.equal(result.found.length, 63)
  t.same(result.found.slice(60).map((m) => m.record.doi), [corpus[70].doi, corpus[72].doi, corpus[75].doi])
  t.same(result.notFound, ['10.9999/none', 'W1'])
  t.same(result.unsupported, ['not an id'])
  const doiFilters = server.requests.filter((r) => r.params.get('filter')?.startsWith('doi:'))
  t.equal(doiFilters.length, 2, 'DOIs are looked up 50 at a time')
})

t.test('citation chasing: references and citing works of a seed', async (t) => {
  const corpus = makeCorpus(200)
  const server = await startOpenAlexServer(corpus)
  t.teardown(server.close)
  const openalex = new OpenAlexConnector({ baseUrl: server.origin, ...quick })
  const seed = { ...emptyRecord(), doi: corpus[5].doi }
  const backward = await openalex.backward(seed)
  t.equal(backward.seedId, corpus[5].openalexId)
  t.same(backward.records.map((r) => r.doi), corpus[5].references.map((n) => corpus[n].doi))
  t.equal(backward.total, corpus[5].references.length)

  const cited = corpus[12]
  const citing = corpus.filter((p) => p.references.includes(cited.n))
  t.ok(citing.length > 0)
  const forward = await openalex.forward({ ...emptyRecord(), pmid: cited.pmid })
  t.same(forward.records.map((r) => r.doi).sort(), citing.map((p) => p.doi).sort())
  t.equal(forward.total, citing.length)
  t.ok(server.requests.some((r) => r.params.get('filter') === `cites:${cited.openalexId}`))

  const fromOpenAlex = (await openalex.search('x', { maxRecords: 1 })).records[0]
  const before = server.requests.length
  await openalex.backward(fromOpenAlex)
  t.equal(server.requests[before].path, `/works/${corpus[0].openalexId}`, 'a record from OpenAlex is chased by its own id')

  const unknown = await openalex.backward({ ...emptyRecord(), doi: '10.9999/none' })
  t.same(unknown, { seedFound: false, total: 0, records: [] })
})

t.test('malformed answers are format errors', async (t) => {
  const server = await startOpenAlexServer(makeCorpus(5))
  t.teardown(server.close)
  const openalex = new OpenAlexConnector({ baseUrl: server.origin, ...quick })
  server.injectFaults({ status: 200, body: '{"meta":{},"results":[]}' })
  await t.rejects(openalex.search('x', { maxRecords: 5 }), ResponseFormatError)
})
