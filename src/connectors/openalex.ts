/**
 * OpenAlex: `/works?search=…&per_page=…&cursor=*` (cursor paging; 100 a page by
 * default, the current documented maximum; older deployments allowed 200),
 * `mailto` for the polite pool and `api_key` when configured. Abstracts come
 * as `abstract_inverted_index` and are rebuilt into text.
 * Lookup: DOIs, PMIDs and OpenAlex ids through OR-filters of up to 50 values
 * (`doi:a|b`, `pmid:…`, `openalex:W…`), PMCIDs through `/works/pmcid:…`,
 * arXiv ids as their DataCite DOIs (10.48550/arxiv.<id>).
 * Citations: backward = the seed's `referenced_works`, forward = `filter=cites:W…`.
 */
import { emptyRecord } from '../references/model.ts'
import type { Author, ReferenceRecord, ReferenceType } from '../references/model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../references/identifiers.ts'
import { UpstreamHttpError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import {
  ApiContext, authorFromDisplayName, chunk, collectSearch, cursorPaged, compactRecord, describeQuery, encodePathId, invertedIndexToText,
  orcidFrom, uniqueStrings
} from './common.ts'
import type {
  CitationConnector, CitationOptions, CitationResult, ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector,
  SearchOptions, SearchResult, SearchSummary
} from './types.ts'

export const OPENALEX_DEFAULT_BASE_URL = 'https://api.openalex.org'
export const OPENALEX_REQUESTS_PER_SECOND = 10
/** Values one OR-filter may hold. */
const FILTER_VALUES = 50

/** The parts of an OpenAlex work this mapping reads. */
export interface OpenAlexWork {
  id?: string
  doi?: string | null
  title?: string | null
  display_name?: string | null
  publication_year?: number | null
  language?: string | null
  type?: string | null
  ids?: { openalex?: string; doi?: string; pmid?: string; pmcid?: string }
  authorships?: Array<{ author?: { display_name?: string; orcid?: string | null }; raw_author_name?: string }>
  primary_location?: { landing_page_url?: string | null; source?: { display_name?: string; issn?: string[] | null; issn_l?: string | null; host_organization_name?: string | null; type?: string } | null } | null
  biblio?: { volume?: string | null; issue?: string | null; first_page?: string | null; last_page?: string | null }
  abstract_inverted_index?: Record<string, number[]> | null
  keywords?: Array<{ display_name?: string }>
  mesh?: Array<{ descriptor_name?: string }>
  referenced_works?: string[]
  [key: string]: unknown
}

interface ListAnswer {
  meta?: { count?: number; next_cursor?: string | null }
  results?: OpenAlexWork[]
}

const TYPES: Record<string, ReferenceType> = {
  article: 'article', review: 'review', preprint: 'preprint', book: 'book', 'book-chapter': 'chapter', dissertation: 'thesis',
  dataset: 'dataset', editorial: 'editorial', letter: 'letter', report: 'report', standard: 'report', 'peer-review': 'other',
  paratext: 'other', erratum: 'other', other: 'other', 'supplementary-materials': 'other', retraction: 'other', libguides: 'other'
}

/** "https://openalex.org/W123" or "W123" -> "W123". */
export function openAlexShortId(id: string | undefined | null): string | undefined {
  const match = /(?:^|openalex\.org\/)(W\d+)$/i.exec(id?.trim() ?? '')
  return match ? match[1].toUpperCase() : undefined
}

export function openAlexWorkToRecord(work: OpenAlexWork): ReferenceRecord {
  const record = emptyRecord(TYPES[work.type ?? ''] ?? 'article')
  record.sourceDatabase = 'OpenAlex'
  record.original = work
  record.title = (work.title ?? work.display_name)?.replace(/\s+/g, ' ').trim() || undefined
  record.abstract = invertedIndexToText(work.abstract_inverted_index)
  record.authors = (work.authorships ?? []).flatMap((a): Author[] => {
    const parsed = authorFromDisplayName(a.author?.display_name ?? a.raw_author_name)
    if (!parsed) return []
    const author: Author = { ...parsed }
    const orcid = orcidFrom(a.author?.orcid)
    if (orcid) author.orcid = orcid
    return [author]
  })
  record.year = parseYear(work.publication_year)
  const source = work.primary_location?.source
  if (source?.type === 'journal' || source?.type === 'conference' || source?.type === 'book series' || !source?.type) record.journal = source?.display_name
  else if (source?.type === 'repository') record.publisher = source.display_name
  record.publisher ??= source?.host_organization_name ?? undefined
  const issn = uniqueStrings([...(source?.issn ?? []), source?.issn_l])
  if (issn.length > 0) record.issn = issn
  record.volume = work.biblio?.volume ?? undefined
  record.issue = work.biblio?.issue ?? undefined
  const first = work.biblio?.first_page
  const last = work.biblio?.last_page
  record.pages = first ? (last && last !== first ? `${first}-${last}` : first) : undefined
  record.doi = normalizeDoi(work.doi ?? work.ids?.doi)
  record.pmid = normalizePmid(work.ids?.pmid?.replace(/\/+$/, '').split('/').pop())
  const pmcid = work.ids?.pmcid?.replace(/\/+$/, '').split('/').pop()
  record.pmcid = pmcid ? normalizePmcid(/^\d+$/.test(pmcid) ? `PMC${pmcid}` : pmcid) : undefined
  record.language = work.language ?? undefined
  record.keywords = uniqueStrings((work.keywords ?? []).map((k) => k.display_name))
  record.mesh = uniqueStrings((work.mesh ?? []).map((m) => m.descriptor_name))
  record.url = work.id ?? undefined
  return compactRecord(record)
}

export class OpenAlexConnector implements SearchConnector, LookupConnector, CitationConnector {
  readonly id = 'openalex' as const
  readonly label = 'OpenAlex'
  private readonly api: ApiContext
  private readonly pageSize: number
  private readonly common: Record<string, string>

  constructor(options: ConnectorOptions = {}) {
    this.api = new ApiContext({ id: 'openalex', baseUrl: OPENALEX_DEFAULT_BASE_URL, requestsPerSecond: OPENALEX_REQUESTS_PER_SECOND }, options)
    this.pageSize = Math.min(Math.max(1, options.pageSize ?? 100), 200)
    this.common = {}
    if (options.email) this.common.mailto = options.email
    if (options.apiKey) this.common.api_key = options.apiKey
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    return this.pages({ search: query, ...options.params }, describeQuery(query, options.params), options)
  }

  private async list(params: Record<string, string | number>, signal?: AbortSignal): Promise<{ count: number; next?: string; results: OpenAlexWork[] }> {
    const url = this.api.url('works', { ...params, ...this.common })
    const answer = await this.api.getJson<ListAnswer>(url, signal)
    if (!answer || typeof answer.meta?.count !== 'number' || !Array.isArray(answer.results)) {
      throw new ResponseFormatError(redactUrl(url), 'expected "meta.count" and "results"')
    }
    return { count: answer.meta.count, next: answer.meta.next_cursor ?? undefined, results: answer.results }
  }

  private pages(params: Record<string, string>, queryAsSent: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    return cursorPaged(options, queryAsSent, this.pageSize, async (cursor, rows) => {
      const page = await this.list({ ...params, per_page: rows, cursor }, options.signal)
      return { total: page.count, items: page.results, next: page.next }
    }, openAlexWorkToRecord)
  }

  /** A single work by "W…", "doi:…", "pmid:…" or "pmcid:…"; undefined on 404. */
  async work(key: string, signal?: AbortSignal): Promise<OpenAlexWork | undefined> {
    const url = this.api.url(`works/${encodePathId(key)}`, this.common)
    try {
      const work = await this.api.getJson<OpenAlexWork>(url, signal)
      if (!work || typeof work !== 'object' || typeof work.id !== 'string') throw new ResponseFormatError(redactUrl(url), 'expected a work with an "id"')
      return work
    } catch (error) {
      if (error instanceof UpstreamHttpError && error.status === 404) return undefined
      throw error
    }
  }

  private async filterWorks(field: string, values: string[], signal?: AbortSignal): Promise<OpenAlexWork[]> {
    const pages = await Promise.all(chunk(values, FILTER_VALUES).map((group) =>
      this.list({ filter: `${field}:${group.join('|')}`, per_page: Math.min(200, group.length * 2) }, signal)))
    return pages.flatMap((p) => p.results)
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const { signal } = options
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const wanted: Array<{ id: string; kind: 'openalex' | 'doi' | 'pmid' | 'pmcid'; value: string }> = []
    for (const id of ids) {
      const text = id.trim()
      const openalex = openAlexShortId(text)
      const pmcid = /^PMC\s*\d+$/i.test(text) ? normalizePmcid(text) : undefined
      const arxiv = /arxiv/i.test(text) ? normalizeArxivId(text) : undefined
      const doi = arxiv ? `10.48550/arxiv.${arxiv.toLowerCase()}` : normalizeDoi(text)
      if (openalex) wanted.push({ id, kind: 'openalex', value: openalex })
      else if (pmcid) wanted.push({ id, kind: 'pmcid', value: pmcid })
      else if (doi) wanted.push({ id, kind: 'doi', value: doi })
      else if (/^(pmid:?\s*)?\d{1,9}$/i.test(text)) wanted.push({ id, kind: 'pmid', value: normalizePmid(text)! })
      else result.unsupported.push(id)
    }
    const values = (kind: string) => [...new Set(wanted.filter((w) => w.kind === kind).map((w) => w.value))]
    const [byOpenAlex, byDoi, byPmid] = await Promise.all([
      this.filterWorks('openalex', values('openalex'), signal),
      this.filterWorks('doi', values('doi'), signal),
      this.filterWorks('pmid', values('pmid'), signal)
    ])
    const records = [...byOpenAlex, ...byDoi, ...byPmid].map(openAlexWorkToRecord)
    const pmcidWorks = await Promise.all(values('pmcid').map(async (pmcid) => {
      const work = await this.work(`pmcid:${pmcid}`, signal)
      return work ? openAlexWorkToRecord(work) : undefined
    }))
    records.push(...pmcidWorks.filter((r): r is ReferenceRecord => r !== undefined))
    for (const w of wanted) {
      const record = records.find((r) =>
        w.kind === 'openalex' ? openAlexShortId(r.url) === w.value : w.kind === 'doi' ? r.doi === w.value : w.kind === 'pmid' ? r.pmid === w.value : r.pmcid === w.value)
      if (record) result.found.push({ id: w.id, record })
      else result.notFound.push(w.id)
    }
    return result
  }

  /** The OpenAlex work for a record: its own id when it came from OpenAlex, else by DOI, PMID or PMCID. */
  private async seed(record: ReferenceRecord, signal?: AbortSignal): Promise<OpenAlexWork | undefined> {
    const own = openAlexShortId((record.original as OpenAlexWork | null)?.id) ?? openAlexShortId(record.url)
    const keys = uniqueStrings([
      own, record.doi ? `doi:${record.doi}` : undefined, record.pmid ? `pmid:${record.pmid}` : undefined, record.pmcid ? `pmcid:${record.pmcid}` : undefined
    ])
    for (const key of keys) {
      const work = await this.work(key, signal)
      if (work) return work
    }
    return undefined
  }

  async backward(record: ReferenceRecord, options: CitationOptions = {}): Promise<CitationResult> {
    const seed = await this.seed(record, options.signal)
    if (!seed) return { seedFound: false, total: 0, records: [] }
    const referenced = uniqueStrings((seed.referenced_works ?? []).map(openAlexShortId))
    const wanted = referenced.slice(0, options.maxRecords ?? Infinity)
    const works = await this.filterWorks('openalex', wanted, options.signal)
    const byId = new Map(works.map((w) => [openAlexShortId(w.id), w]))
    const records = wanted.map((id) => byId.get(id)).filter((w): w is OpenAlexWork => w !== undefined).map(openAlexWorkToRecord)
    return { seedId: openAlexShortId(seed.id), seedFound: true, total: referenced.length, records }
  }

  async forward(record: ReferenceRecord, options: CitationOptions = {}): Promise<CitationResult> {
    const seed = await this.seed(record, options.signal)
    const seedId = openAlexShortId(seed?.id)
    if (!seedId) return { seedFound: false, total: 0, records: [] }
    const result = await collectSearch(this.pages({ filter: `cites:${seedId}` }, `cites:${seedId}`, { maxRecords: options.maxRecords ?? Infinity, signal: options.signal }))
    return { seedId, seedFound: true, total: result.total, records: result.records }
  }
}
