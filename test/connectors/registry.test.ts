import t from 'tap'
import { Connectors, connectorsConfig, createConnector, listDatabases, ConnectorConfigError } from '../../src/connectors/registry.ts'
import { PubMedConnector } from '../../src/connectors/pubmed.ts'
import { makeCorpus } from '../support/api-servers/corpus.ts'
import { startPubMedServer } from '../support/api-servers/pubmed.ts'
import { startCrossrefServer } from '../support/api-servers/crossref.ts'

t.test('every database is listed with its rate limit and capabilities', async (t) => {
  const list = listDatabases({})
  t.same(list.map((d) => d.id), ['pubmed', 'europepmc', 'crossref', 'openalex', 'semanticscholar', 'arxiv', 'unpaywall'])
  const byId = Object.fromEntries(list.map((d) => [d.id, d]))
  t.equal(byId.pubmed.rateLimit.requestsPerSecond, 3)
  t.equal(byId.pubmed.baseUrl, 'https://eutils.ncbi.nlm.nih.gov/entrez/eutils')
  t.equal(byId.arxiv.rateLimit.requestsPerSecond, 1 / 3)
  t.match(byId.unpaywall, { configured: false, missing: 'CONTACT_EMAIL', supports: { search: false, lookup: true, openAccessPdf: true } })
  t.match(byId.openalex.supports, { search: true, citations: true })
  t.match(byId.semanticscholar.supports, { citations: true })
  t.match(byId.pubmed.supports, { citations: false })
  const keyed = Object.fromEntries(listDatabases({ email: 'a@b.org', pubmed: { apiKey: 'k' } }).map((d) => [d.id, d]))
  t.equal(keyed.pubmed.rateLimit.requestsPerSecond, 10)
  t.equal(keyed.unpaywall.configured, true)
  t.equal(keyed.crossref.rateLimit.requestsPerSecond, 10)
})

t.test('configuration comes from the documented settings of the service configuration', async (t) => {
  const config = connectorsConfig({
    CONTACT_EMAIL: 'team@example.org', NCBI_API_KEY: 'ncbi', PUBMED_BASE_URL: 'http://pubmed.test/eutils', NCBI_IDCONV_BASE_URL: 'http://idconv.test/',
    SEMANTIC_SCHOLAR_API_KEY: 's2', CROSSREF_BASE_URL: ' ', OPENALEX_BASE_URL: 'http://oa.test'
  })
  t.same(config.pubmed, { baseUrl: 'http://pubmed.test/eutils', apiKey: 'ncbi', idconvBaseUrl: 'http://idconv.test/' })
  t.equal(config.email, 'team@example.org')
  t.same(config.crossref, {}, 'blank values keep the public default')
  t.same(config.semanticscholar, { apiKey: 's2' })
  t.same(config.openalex, { baseUrl: 'http://oa.test' })
  t.same(config.unpaywall, {}, 'PDFs from private addresses refused by default')
  t.equal(typeof connectorsConfig({ ALLOW_PRIVATE_DOWNLOADS: true }).unpaywall?.download?.allowAddress, 'function')
})

t.test('Connectors builds each connector once and says which are configured', async (t) => {
  const connectors = new Connectors(connectorsConfig({}))
  t.equal(connectors.get('pubmed'), connectors.get('pubmed'))
  t.throws(() => connectors.get('unpaywall'), ConnectorConfigError)
  t.equal(connectors.list().find((d) => d.id === 'unpaywall')?.configured, false)
})

t.test('createConnector builds working connectors from plain configuration', async (t) => {
  const corpus = makeCorpus(12)
  const pubmedServer = await startPubMedServer(corpus)
  const crossrefServer = await startCrossrefServer(corpus)
  t.teardown(async () => { await pubmedServer.close(); await crossrefServer.close() })
  const config = { email: 'team@example.org', tool: 'AnalyLit', pubmed: { baseUrl: pubmedServer.baseUrl, rateLimit: 50 }, crossref: { baseUrl: crossrefServer.origin, rateLimit: 50 } }
  const pubmed = createConnector('pubmed', config)
  t.type(pubmed, PubMedConnector)
  t.equal((await pubmed.search('x', { maxRecords: Infinity })).records.length, 12)
  t.equal(pubmedServer.requests[0].params.get('email'), 'team@example.org', 'shared contact email reaches each connector')
  const crossref = createConnector('crossref', config)
  t.equal((await crossref.lookup([corpus[0].doi])).found.length, 1)
  t.equal(crossrefServer.requests[0].params.get('mailto'), 'team@example.org')
  t.throws(() => createConnector('unpaywall', {}), ConnectorConfigError)
  t.throws(() => createConnector('nope' as 'pubmed', {}), ConnectorConfigError)
})
