/**
 * Crossref REST API: `/works?query=…&rows=…&cursor=*` deep paging (rows up to
 * 1,000, default here 500), `mailto` for the polite pool, caller filters
 * through `params.filter` (e.g. "from-pub-date:2020-01-01,type:journal-article").
 * Lookup: `/works/{doi}` per DOI; a 404 means Crossref does not know it.
 * Abstracts arrive as JATS XML and are turned into plain text.
 * Rate: 5 requests/s and 1 at a time without a contact address, 10/s and 3
 * at a time with one (Crossref's public and polite pools).
 */
import { emptyRecord } from '../references/model.ts'
import type { Author, ReferenceRecord, ReferenceType } from '../references/model.ts'
import { normalizeDoi, parseYear } from '../references/identifiers.ts'
import { UpstreamHttpError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import { ApiContext, collectSearch, cursorPaged, compactRecord, describeQuery, encodePathId, markupToText, orcidFrom, uniqueStrings } from './common.ts'
import type { ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector, SearchOptions, SearchResult, SearchSummary } from './types.ts'

export const CROSSREF_DEFAULT_BASE_URL = 'https://api.crossref.org'

export function crossrefRateLimit(email?: string): { requestsPerSecond: number; maxConcurrent: number } {
  return email ? { requestsPerSecond: 10, maxConcurrent: 3 } : { requestsPerSecond: 5, maxConcurrent: 1 }
}

interface DateParts {
  'date-parts'?: Array<Array<number | null>>
}

/** The parts of a Crossref work this mapping reads. */
export interface CrossrefWork {
  DOI?: string
  type?: string
  subtype?: string
  title?: string[]
  subtitle?: string[]
  'container-title'?: string[]
  'short-container-title'?: string[]
  author?: Array<{ given?: string; family?: string; name?: string; ORCID?: string }>
  issued?: DateParts
  'published-print'?: DateParts
  'published-online'?: DateParts
  created?: DateParts
  volume?: string
  issue?: string
  page?: string
  ISSN?: string[]
  ISBN?: string[]
  abstract?: string
  subject?: string[]
  publisher?: string
  language?: string
  URL?: string
  [key: string]: unknown
}

const TYPES: Record<string, ReferenceType> = {
  'journal-article': 'article', 'proceedings-article': 'conference-paper', 'book-chapter': 'chapter', 'book-section': 'chapter',
  'book-part': 'chapter', book: 'book', monograph: 'book', 'edited-book': 'book', 'reference-book': 'book', dissertation: 'thesis',
  report: 'report', 'report-component': 'report', dataset: 'dataset', 'posted-content': 'preprint', standard: 'report'
}

function yearOf(work: CrossrefWork): number | undefined {
  for (const field of [work.issued, work['published-print'], work['published-online'], work.created]) {
    const year = field?.['date-parts']?.[0]?.[0]
    if (typeof year === 'number') return parseYear(year)
  }
  return undefined
}

export function crossrefWorkToRecord(work: CrossrefWork): ReferenceRecord {
  const record = emptyRecord(TYPES[work.type ?? ''] ?? (work.type ? 'other' : 'article'))
  if (work.type === 'posted-content' && work.subtype && work.subtype !== 'preprint') record.type = 'other'
  record.sourceDatabase = 'Crossref'
  record.original = work
  const title = markupToText(work.title?.[0])?.replace(/\n/g, ' ')
  const subtitle = markupToText(work.subtitle?.[0])?.replace(/\n/g, ' ')
  record.title = title && subtitle ? `${title}: ${subtitle}` : title
  record.abstract = markupToText(work.abstract)
  record.authors = (work.author ?? []).flatMap((a): Author[] => {
    if (a.family) {
      const author: Author = { family: a.family }
      if (a.given) author.given = a.given
      const orcid = orcidFrom(a.ORCID)
      if (orcid) author.orcid = orcid
      return [author]
    }
    return a.name ? [{ family: a.name, literal: true }] : []
  })
  record.year = yearOf(work)
  record.journal = work['container-title']?.[0]
  record.journalAbbrev = work['short-container-title']?.[0]
  record.volume = work.volume
  record.issue = work.issue
  record.pages = work.page
  record.doi = normalizeDoi(work.DOI)
  const issn = uniqueStrings(work.ISSN ?? [])
  if (issn.length > 0) record.issn = issn
  const isbn = uniqueStrings(work.ISBN ?? [])
  if (isbn.length > 0) record.isbn = isbn
  record.keywords = uniqueStrings(work.subject ?? [])
  record.publisher = work.publisher
  record.language = work.language
  record.url = work.URL ?? (record.doi ? `https://doi.org/${record.doi}` : undefined)
  return compactRecord(record)
}

interface CrossrefEnvelope<T> {
  status?: string
  'message-type'?: string
  message?: T
}

export class CrossrefConnector implements SearchConnector, LookupConnector {
  readonly id = 'crossref' as const
  readonly label = 'Crossref'
  private readonly api: ApiContext
  private readonly pageSize: number
  private readonly mailto?: string

  constructor(options: ConnectorOptions = {}) {
    const rate = crossrefRateLimit(options.email)
    this.api = new ApiContext({ id: 'crossref', baseUrl: CROSSREF_DEFAULT_BASE_URL, ...rate }, options)
    this.pageSize = Math.min(Math.max(1, options.pageSize ?? 500), 1000)
    this.mailto = options.email
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    return cursorPaged(options, describeQuery(query, options.params), this.pageSize, async (cursor, rows) => {
      const url = this.api.url('works', { query, rows, cursor, mailto: this.mailto, ...options.params })
      const envelope = await this.api.getJson<CrossrefEnvelope<{ 'total-results'?: number; items?: CrossrefWork[]; 'next-cursor'?: string }>>(url, options.signal)
      const message = envelope?.message
      if (envelope?.status !== 'ok' || !message || typeof message['total-results'] !== 'number' || !Array.isArray(message.items)) {
        throw new ResponseFormatError(redactUrl(url), 'expected a work-list message with "total-results" and "items"')
      }
      return { total: message['total-results'], items: message.items, next: message['next-cursor'] }
    }, crossrefWorkToRecord)
  }

  /** One work by DOI, or undefined when Crossref does not know it. */
  async work(doi: string, signal?: AbortSignal): Promise<ReferenceRecord | undefined> {
    const url = this.api.url(`works/${encodePathId(doi)}`, { mailto: this.mailto })
    try {
      const envelope = await this.api.getJson<CrossrefEnvelope<CrossrefWork>>(url, signal)
      if (envelope?.status !== 'ok' || !envelope.message || typeof envelope.message !== 'object') {
        throw new ResponseFormatError(redactUrl(url), 'expected a work message')
      }
      return crossrefWorkToRecord(envelope.message)
    } catch (error) {
      if (error instanceof UpstreamHttpError && error.status === 404) return undefined
      throw error
    }
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const dois = ids.map((id) => ({ id, doi: normalizeDoi(id) }))
    result.unsupported.push(...dois.filter((d) => !d.doi).map((d) => d.id))
    const answers = await Promise.all(dois.filter((d) => d.doi).map(async (d) => ({ ...d, record: await this.work(d.doi!, options.signal) })))
    for (const answer of answers) {
      if (answer.record) result.found.push({ id: answer.id, record: answer.record })
      else result.notFound.push(answer.id)
    }
    return result
  }
}
