import t from 'tap'
import { CrossrefConnector } from '../../src/connectors/crossref.ts'
import { markupToText } from '../../src/connectors/common.ts'
import { UpstreamHttpError, ResponseFormatError } from '../../src/net/errors.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startCrossrefServer } from '../support/api-servers/crossref.ts'

const quick = { rateLimit: 100, baseDelayMs: 20, maxDelayMs: 100 }

t.test('JATS abstracts become plain text with section labels', async (t) => {
  t.equal(markupToText('<jats:title>Abstract</jats:title><jats:sec><jats:title>Background</jats:title><jats:p>Text &amp; more <jats:italic>here</jats:italic>.</jats:p></jats:sec><jats:sec><jats:title>Methods:</jats:title><jats:p>We did<jats:sup>2</jats:sup> things.</jats:p></jats:sec>'),
    'Background: Text & more here.\nMethods: We did2 things.')
  t.equal(markupToText('<jats:p>One.</jats:p>\n<jats:p>Two.</jats:p>'), 'One.\nTwo.')
  t.equal(markupToText(''), undefined)
})

t.test('a search pages with cursors to the end, sending mailto and filters', async (t) => {
  const corpus = makeCorpus(1100)
  const server = await startCrossrefServer(corpus)
  t.teardown(server.close)
  const crossref = new CrossrefConnector({ baseUrl: server.origin, email: 'team@example.org', ...quick })
  const progress: number[] = []
  const result = await crossref.search('therapeutic alliance digital', { maxRecords: Infinity, params: { filter: 'from-pub-date:2010-01-01' }, onProgress: (p) => progress.push(p.retrieved) })
  const expected = corpus.filter((p) => p.year >= 2010)
  t.equal(result.total, expected.length)
  t.equal(result.records.length, expected.length)
  t.equal(result.queryAsSent, 'therapeutic alliance digital [filter=from-pub-date:2010-01-01]')
  t.ok(server.requests.every((r) => r.params.get('mailto') === 'team@example.org' && r.params.get('filter') === 'from-pub-date:2010-01-01'))
  t.match(server.requests[0].headers['user-agent'], /mailto:team@example\.org/)
  t.equal(server.requests[0].params.get('cursor'), '*')
  t.equal(server.requests[1].params.get('cursor'), 'DnF1ZXJ5VGhlbkZldGNo1')
  t.equal(progress.at(-1), expected.length)
  const paper = expected[0]
  const record = result.records[0]
  t.match(record, {
    sourceDatabase: 'Crossref', type: paper.type === 'preprint' ? 'preprint' : 'article', title: paper.title, doi: paper.doi, year: paper.year, journal: paper.journal,
    journalAbbrev: paper.journalAbbrev, volume: paper.volume, issue: paper.issue, pages: paper.pages, issn: [paper.issn], publisher: 'JMIR Publications Inc.'
  })
  t.equal(record.abstract, paper.abstract.map((s) => (s.label ? `${s.label[0]}${s.label.slice(1).toLowerCase()}: ${s.text}` : s.text)).join('\n'))
  t.match(record.original, { DOI: paper.doi.toUpperCase() })
})

t.test('maxRecords limits rows', async (t) => {
  const server = await startCrossrefServer(makeCorpus(1100))
  t.teardown(server.close)
  const crossref = new CrossrefConnector({ baseUrl: server.origin, ...quick })
  const result = await crossref.search('x', { maxRecords: 620 })
  t.equal(result.records.length, 620)
  t.same(server.requests.map((r) => r.params.get('rows')), ['500', '120'])
})

t.test('DOI lookup uses /works/{doi} and reports unknown DOIs', async (t) => {
  const corpus = makeCorpus(10)
  const server = await startCrossrefServer(corpus)
  t.teardown(server.close)
  const crossref = new CrossrefConnector({ baseUrl: server.origin, ...quick })
  const result = await crossref.lookup([`doi:${corpus[2].doi}`, '10.9999/missing', '12345678'])
  t.same(result.found.map((m) => [m.id, m.record.doi]), [[`doi:${corpus[2].doi}`, corpus[2].doi]])
  t.same(result.notFound, ['10.9999/missing'])
  t.same(result.unsupported, ['12345678'])
  t.ok(server.requests.some((r) => r.path === `/works/${corpus[2].doi}`))
})

t.test('errors: validation failures, 5xx and malformed bodies', async (t) => {
  const server = await startCrossrefServer(makeCorpus(10))
  t.teardown(server.close)
  const crossref = new CrossrefConnector({ baseUrl: server.origin, ...quick, pageSize: 1000, retries: 1 })
  server.injectFaults({ status: 503, body: 'busy' }, { status: 503, body: 'busy' })
  const busy = await crossref.search('x', { maxRecords: 5 }).catch((e) => e)
  t.type(busy, UpstreamHttpError)
  t.equal(busy.status, 503)
  server.injectFaults({ status: 200, body: '{"status":"ok","message":{"items":"nope"}}' })
  await t.rejects(crossref.search('x', { maxRecords: 5 }), ResponseFormatError)
})
