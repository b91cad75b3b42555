/**
 * The list of bibliographic databases AnalyLit can query, and a factory that
 * builds a connector from plain configuration.
 *
 * Configuration is a plain object, one entry per database plus shared
 * contact details, e.g.
 *   { email: 'team@example.org', pubmed: { apiKey: '…' }, semanticscholar: { apiKey: '…' } }
 * `connectorsConfig(settings)` builds it from these settings of the service
 * configuration (public defaults in brackets):
 *   CONTACT_EMAIL              contact address for NCBI, Crossref, OpenAlex, Unpaywall
 *   NCBI_TOOL                  NCBI `tool` name [AnalyLit]
 *   PUBMED_BASE_URL            [https://eutils.ncbi.nlm.nih.gov/entrez/eutils]
 *   NCBI_API_KEY               raises PubMed from 3 to 10 requests/s
 *   NCBI_IDCONV_BASE_URL       [https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/]
 *   EUROPE_PMC_BASE_URL        [https://www.ebi.ac.uk/europepmc/webservices/rest]
 *   CROSSREF_BASE_URL          [https://api.crossref.org]
 *   OPENALEX_BASE_URL          [https://api.openalex.org]
 *   OPENALEX_API_KEY           optional
 *   SEMANTIC_SCHOLAR_BASE_URL  [https://api.semanticscholar.org/graph/v1]
 *   SEMANTIC_SCHOLAR_API_KEY   optional (x-api-key header)
 *   ARXIV_BASE_URL             [https://export.arxiv.org/api]
 *   UNPAYWALL_BASE_URL         [https://api.unpaywall.org/v2] (needs CONTACT_EMAIL)
 */
import type { FetchImpl } from '../net/http.ts'
import type { RateLimiterRegistry } from '../net/rate-limit.ts'
import { ArxivConnector, ARXIV_DEFAULT_BASE_URL, ARXIV_REQUESTS_PER_SECOND } from './arxiv.ts'
import { CrossrefConnector, CROSSREF_DEFAULT_BASE_URL, crossrefRateLimit } from './crossref.ts'
import { EuropePmcConnector, EUROPE_PMC_DEFAULT_BASE_URL, EUROPE_PMC_REQUESTS_PER_SECOND } from './europepmc.ts'
import { OpenAlexConnector, OPENALEX_DEFAULT_BASE_URL, OPENALEX_REQUESTS_PER_SECOND } from './openalex.ts'
import { NCBI_IDCONV_DEFAULT_BASE_URL, PubMedConnector, PUBMED_DEFAULT_BASE_URL, pubmedRequestsPerSecond } from './pubmed.ts'
import type { PubMedOptions } from './pubmed.ts'
import { SemanticScholarConnector, SEMANTIC_SCHOLAR_DEFAULT_BASE_URL, SEMANTIC_SCHOLAR_REQUESTS_PER_SECOND } from './semantic-scholar.ts'
import type { ConnectorOptions, DatabaseId } from './types.ts'
import { UnpaywallConnector, UNPAYWALL_DEFAULT_BASE_URL, UNPAYWALL_REQUESTS_PER_SECOND } from './unpaywall.ts'
import type { UnpaywallOptions } from './unpaywall.ts'

export type ConnectorsConfig = {
  /** Contact address used by every database that asks for one, unless its own entry sets `email`. */
  email?: string
  /** NCBI `tool` name. */
  tool?: string
  fetchImpl?: FetchImpl
  /** Where every database's limiter comes from (default: one per process). */
  limiters?: RateLimiterRegistry
  pubmed?: PubMedOptions
  unpaywall?: UnpaywallOptions
} & { [K in Exclude<DatabaseId, 'pubmed' | 'unpaywall'>]?: ConnectorOptions }

export interface DatabaseInfo {
  id: DatabaseId
  label: string
  /** Whether createConnector will succeed with this configuration. */
  configured: boolean
  /** What is missing when not configured. */
  missing?: string
  baseUrl: string
  rateLimit: { requestsPerSecond: number; maxConcurrent?: number; note: string }
  supports: { search: boolean; lookup: boolean; citations: boolean; openAccessPdf: boolean }
}

export const DATABASE_IDS: readonly DatabaseId[] = ['pubmed', 'europepmc', 'crossref', 'openalex', 'semanticscholar', 'arxiv', 'unpaywall']

function optionsFor(id: DatabaseId, config: ConnectorsConfig): ConnectorOptions {
  const own = config[id] ?? {}
  return { fetchImpl: config.fetchImpl, limiters: config.limiters, ...own, email: own.email ?? config.email, tool: own.tool ?? config.tool }
}

/** Every database with whether it is usable under `config`, its rate limit and what it supports. */
export function listDatabases(config: ConnectorsConfig = {}): DatabaseInfo[] {
  return DATABASE_IDS.map((id): DatabaseInfo => {
    const o = optionsFor(id, config)
    const rate = typeof o.rateLimit === 'number' ? o.rateLimit : undefined
    switch (id) {
      case 'pubmed':
        return {
          id, label: 'PubMed', configured: true, baseUrl: o.baseUrl ?? PUBMED_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? pubmedRequestsPerSecond(o.apiKey), note: o.apiKey ? 'NCBI with API key: 10/s' : 'NCBI without API key: 3/s (set NCBI_API_KEY for 10/s)' },
          supports: { search: true, lookup: true, citations: false, openAccessPdf: false }
        }
      case 'europepmc':
        return {
          id, label: 'Europe PMC', configured: true, baseUrl: o.baseUrl ?? EUROPE_PMC_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? EUROPE_PMC_REQUESTS_PER_SECOND, note: 'no published limit; kept moderate' },
          supports: { search: true, lookup: true, citations: false, openAccessPdf: false }
        }
      case 'crossref': {
        const limit = crossrefRateLimit(o.email)
        return {
          id, label: 'Crossref', configured: true, baseUrl: o.baseUrl ?? CROSSREF_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? limit.requestsPerSecond, maxConcurrent: limit.maxConcurrent, note: o.email ? 'polite pool (mailto)' : 'public pool; set CONTACT_EMAIL for the polite pool' },
          supports: { search: true, lookup: true, citations: false, openAccessPdf: false }
        }
      }
      case 'openalex':
        return {
          id, label: 'OpenAlex', configured: true, baseUrl: o.baseUrl ?? OPENALEX_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? OPENALEX_REQUESTS_PER_SECOND, note: 'OpenAlex: 10/s' },
          supports: { search: true, lookup: true, citations: true, openAccessPdf: false }
        }
      case 'semanticscholar':
        return {
          id, label: 'Semantic Scholar', configured: true, baseUrl: o.baseUrl ?? SEMANTIC_SCHOLAR_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? SEMANTIC_SCHOLAR_REQUESTS_PER_SECOND, note: o.apiKey ? 'API key: 1/s' : 'shared anonymous pool; 429s are retried (set SEMANTIC_SCHOLAR_API_KEY)' },
          supports: { search: true, lookup: true, citations: true, openAccessPdf: false }
        }
      case 'arxiv':
        return {
          id, label: 'arXiv', configured: true, baseUrl: o.baseUrl ?? ARXIV_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? ARXIV_REQUESTS_PER_SECOND, note: 'arXiv asks for one request every 3 s' },
          supports: { search: true, lookup: true, citations: false, openAccessPdf: false }
        }
      case 'unpaywall':
        return {
          id, label: 'Unpaywall', configured: Boolean(o.email), ...(o.email ? {} : { missing: 'CONTACT_EMAIL' }),
          baseUrl: o.baseUrl ?? UNPAYWALL_DEFAULT_BASE_URL,
          rateLimit: { requestsPerSecond: rate ?? UNPAYWALL_REQUESTS_PER_SECOND, note: 'Unpaywall: 100,000 calls a day' },
          supports: { search: false, lookup: true, citations: false, openAccessPdf: true }
        }
    }
  })
}

export interface ConnectorsById {
  pubmed: PubMedConnector
  europepmc: EuropePmcConnector
  crossref: CrossrefConnector
  openalex: OpenAlexConnector
  semanticscholar: SemanticScholarConnector
  arxiv: ArxivConnector
  unpaywall: UnpaywallConnector
}

export class ConnectorConfigError extends Error {
  override name = 'ConnectorConfigError'
}

/** Builds the connector for `id`; throws ConnectorConfigError when its configuration is incomplete. */
export function createConnector<K extends DatabaseId>(id: K, config: ConnectorsConfig = {}): ConnectorsById[K] {
  const info = listDatabases(config).find((d) => d.id === id)
  if (!info) throw new ConnectorConfigError(`Unknown database "${id}"`)
  if (!info.configured) throw new ConnectorConfigError(`${info.label} is not configured: set ${info.missing}`)
  const options = optionsFor(id, config)
  const build: { [D in DatabaseId]: () => ConnectorsById[D] } = {
    pubmed: () => new PubMedConnector(options as PubMedOptions),
    europepmc: () => new EuropePmcConnector(options),
    crossref: () => new CrossrefConnector(options),
    openalex: () => new OpenAlexConnector(options),
    semanticscholar: () => new SemanticScholarConnector(options),
    arxiv: () => new ArxivConnector(options),
    unpaywall: () => new UnpaywallConnector(options as UnpaywallOptions)
  }
  return build[id]() as ConnectorsById[K]
}

/** The configuration the service reads (src/config.ts) that the connectors need. */
export interface ConnectorSettings {
  CONTACT_EMAIL?: string
  NCBI_TOOL?: string
  NCBI_API_KEY?: string
  PUBMED_BASE_URL?: string
  NCBI_IDCONV_BASE_URL?: string
  EUROPE_PMC_BASE_URL?: string
  CROSSREF_BASE_URL?: string
  OPENALEX_BASE_URL?: string
  OPENALEX_API_KEY?: string
  SEMANTIC_SCHOLAR_BASE_URL?: string
  SEMANTIC_SCHOLAR_API_KEY?: string
  ARXIV_BASE_URL?: string
  UNPAYWALL_BASE_URL?: string
  /** Open-access PDFs may come from private and loopback addresses. */
  ALLOW_PRIVATE_DOWNLOADS?: boolean
}

/**
 * Connector configuration from the service's settings (names above; unset or
 * blank values keep the public defaults), with one limiter per API, base URL
 * and key from `limiters` (shared through Redis when configured; default: per
 * process).
 */
export function connectorsConfig(settings: ConnectorSettings, limiters?: RateLimiterRegistry): ConnectorsConfig {
  const value = (v: string | undefined) => (v?.trim() ? v.trim() : undefined)
  const entry = (baseUrl?: string, apiKey?: string): ConnectorOptions => {
    const options: ConnectorOptions = {}
    if (value(baseUrl)) options.baseUrl = value(baseUrl)
    if (value(apiKey)) options.apiKey = value(apiKey)
    return options
  }
  const pubmed: PubMedOptions = entry(settings.PUBMED_BASE_URL, settings.NCBI_API_KEY)
  if (value(settings.NCBI_IDCONV_BASE_URL)) pubmed.idconvBaseUrl = value(settings.NCBI_IDCONV_BASE_URL)
  const unpaywall: UnpaywallOptions = entry(settings.UNPAYWALL_BASE_URL)
  if (settings.ALLOW_PRIVATE_DOWNLOADS) unpaywall.download = { allowAddress: () => true }
  const config: ConnectorsConfig = {
    pubmed,
    europepmc: entry(settings.EUROPE_PMC_BASE_URL),
    crossref: entry(settings.CROSSREF_BASE_URL),
    openalex: entry(settings.OPENALEX_BASE_URL, settings.OPENALEX_API_KEY),
    semanticscholar: entry(settings.SEMANTIC_SCHOLAR_BASE_URL, settings.SEMANTIC_SCHOLAR_API_KEY),
    arxiv: entry(settings.ARXIV_BASE_URL),
    unpaywall
  }
  if (value(settings.CONTACT_EMAIL)) config.email = value(settings.CONTACT_EMAIL)
  if (value(settings.NCBI_TOOL)) config.tool = value(settings.NCBI_TOOL)
  if (limiters) config.limiters = limiters
  return config
}

/**
 * The connectors of a process, from one configuration: each is built on
 * first use and then shared (connectors keep no state between calls besides
 * their rate limiter, which is meant to be shared).
 */
export class Connectors {
  private readonly built = new Map<DatabaseId, ConnectorsById[DatabaseId]>()

  constructor(readonly config: ConnectorsConfig = {}) {}

  /** The connector of `id`; throws ConnectorConfigError when its configuration is incomplete. */
  get<K extends DatabaseId>(id: K): ConnectorsById[K] {
    let connector = this.built.get(id)
    if (!connector) {
      connector = createConnector(id, this.config)
      this.built.set(id, connector)
    }
    return connector as ConnectorsById[K]
  }

  /** Every database with whether it is configured, its rate limit and what it supports. */
  list(): DatabaseInfo[] {
    return listDatabases(this.config)
  }
}

export { NCBI_IDCONV_DEFAULT_BASE_URL }
