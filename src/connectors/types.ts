/**
 * The common shape of the bibliographic database connectors. Every record a
 * connector returns is a normalised ReferenceRecord with `sourceDatabase`
 * set and `original` holding the API's record as received (parsed JSON, or
 * for XML APIs the JSON form of the record element).
 */
import type { ReferenceRecord } from '../references/model.ts'
import type { FetchImpl } from '../net/http.ts'
import type { RateLimiter, RateLimiterRegistry } from '../net/rate-limit.ts'

export type DatabaseId = 'pubmed' | 'europepmc' | 'crossref' | 'openalex' | 'semanticscholar' | 'arxiv' | 'unpaywall'

/** Options every connector factory accepts; all come from configuration. */
export interface ConnectorOptions {
  /** API root; defaults to the public service (see registry.ts). */
  baseUrl?: string
  apiKey?: string
  /** Contact address sent as the API asks (NCBI `email`, Crossref/OpenAlex `mailto`, Unpaywall `email`). */
  email?: string
  /** Application name for NCBI's `tool` parameter (default "AnalyLit"). */
  tool?: string
  fetchImpl?: FetchImpl
  /**
   * Requests per second, or a limiter to share. Default: the API's documented
   * limit, with one limiter per API, base URL and key for the whole process.
   */
  rateLimit?: number | RateLimiter
  /** Where the default limiters come from (default: one per process; shared through Redis when configured). */
  limiters?: RateLimiterRegistry
  /** Time limit of one HTTP attempt (default 30 s; 60 s for arXiv). */
  timeoutMs?: number
  /** Retries of one request on network errors, time-outs, 429 and 5xx (default 4). */
  retries?: number
  /** First backoff delay in ms (default 1000). */
  baseDelayMs?: number
  /** Cap on one backoff delay in ms (default 30 000). */
  maxDelayMs?: number
  /** Records per page or batch, when the API lets the client choose (each connector documents its default and maximum). */
  pageSize?: number
}

export interface SearchProgress {
  retrieved: number
  /** Records the search will return in all: min(API total, maxRecords). */
  total: number
}

export interface SearchOptions {
  /** Stop after this many records (Infinity for all the API will give). */
  maxRecords: number
  signal?: AbortSignal
  onProgress?: (progress: SearchProgress) => void
  /**
   * Extra API parameters sent with every search request, e.g. Crossref
   * `{ filter: 'from-pub-date:2020-01-01,type:journal-article' }`, OpenAlex
   * `{ filter: 'publication_year:2020-2024' }`, Europe PMC `{ synonym: 'true' }`.
   */
  params?: Record<string, string>
}

/** One page of results, as soon as it arrives. */
export interface SearchBatch {
  records: ReferenceRecord[]
  /** Records yielded so far, this batch included. */
  retrieved: number
  /** Hits the API reported for the query (may exceed what can be retrieved). */
  total: number
  queryAsSent: string
}

export interface SearchResult {
  /** Hits the API reported for the query. */
  total: number
  /** The query exactly as sent (for the search log / PRISMA-S report). */
  queryAsSent: string
  records: ReferenceRecord[]
  /** Things the user should know: the API's own query translation, windows split, records the API would not page to. */
  notes: string[]
}

export interface SearchConnector {
  readonly id: DatabaseId
  readonly label: string
  /** Runs the search to the end (or maxRecords) and returns every record. */
  search(query: string, options: SearchOptions): Promise<SearchResult>
  /**
   * The same search as a stream of pages, for jobs that store records as
   * they arrive. `search` is this collected.
   */
  searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary>
}

/** What a completed `searchBatches` returns (the generator's return value). */
export interface SearchSummary {
  total: number
  queryAsSent: string
  notes: string[]
}

export interface LookupMatch {
  /** The identifier as the caller gave it. */
  id: string
  record: ReferenceRecord
}

export interface LookupResult {
  found: LookupMatch[]
  /** Identifiers the database does not know. Never replaced by invented records. */
  notFound: string[]
  /** Identifiers of a kind this database cannot look up (e.g. an arXiv id at Crossref). */
  unsupported: string[]
}

export interface LookupConnector {
  /** Looks up DOIs, PMIDs, PMCIDs or arXiv ids (whatever the database supports), in any mix. */
  lookup(ids: string[], options?: { signal?: AbortSignal }): Promise<LookupResult>
}

export interface CitationOptions {
  /** Stop after this many records (default: all). */
  maxRecords?: number
  signal?: AbortSignal
}

export interface CitationResult {
  /** The database's id of the seed record, when it was found. */
  seedId?: string
  /** False when the database does not know the seed record: then `records` is empty. */
  seedFound: boolean
  /** References (backward) or citing works (forward) the database lists for the seed. */
  total: number
  records: ReferenceRecord[]
}

export interface CitationConnector {
  /** Works the seed record cites (its reference list). */
  backward(record: ReferenceRecord, options?: CitationOptions): Promise<CitationResult>
  /** Works that cite the seed record. */
  forward(record: ReferenceRecord, options?: CitationOptions): Promise<CitationResult>
}
