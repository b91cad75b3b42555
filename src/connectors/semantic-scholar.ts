/**
 * Semantic Scholar Academic Graph API.
 * Search: `/paper/search?query=…&offset=…&limit=…&fields=…` (relevance search:
 * at most 100 a page and offset + limit ≤ 1,000, so at most 1,000 records
 * per query; a note says so when the query has more).
 * Lookup: POST `/paper/batch` with up to 500 ids ("DOI:…", "PMID:…",
 * "PMCID:…", "ARXIV:…"); unknown ids come back as null.
 * Citations: `/paper/{id}/references` and `/paper/{id}/citations`, 1,000 a page.
 * The `x-api-key` header is sent when a key is configured. Rate: 1 request/s
 * (the documented limit for keys; the anonymous pool is shared and often
 * answers 429, which the request layer waits out).
 */
import { emptyRecord } from '../references/model.ts'
import type { ReferenceRecord, ReferenceType } from '../references/model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../references/identifiers.ts'
import { UpstreamHttpError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import { ApiContext, authorFromDisplayName, checkMaxRecords, chunk, collectSearch, compactRecord, describeQuery, encodePathId, uniqueStrings } from './common.ts'
import type {
  CitationConnector, CitationOptions, CitationResult, ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector,
  SearchOptions, SearchResult, SearchSummary
} from './types.ts'

export const SEMANTIC_SCHOLAR_DEFAULT_BASE_URL = 'https://api.semanticscholar.org/graph/v1'
export const SEMANTIC_SCHOLAR_REQUESTS_PER_SECOND = 1
export const SEMANTIC_SCHOLAR_SEARCH_LIMIT = 1000
export const PAPER_FIELDS = 'paperId,externalIds,url,title,abstract,venue,publicationVenue,year,authors,journal,publicationTypes,publicationDate,fieldsOfStudy,openAccessPdf'

/** The parts of a Semantic Scholar paper this mapping reads. */
export interface S2Paper {
  paperId?: string | null
  externalIds?: { DOI?: string; PubMed?: string; PubMedCentral?: string; ArXiv?: string; [key: string]: unknown } | null
  url?: string | null
  title?: string | null
  abstract?: string | null
  venue?: string | null
  publicationVenue?: { name?: string; type?: string; issn?: string } | null
  year?: number | null
  authors?: Array<{ authorId?: string | null; name?: string | null }>
  journal?: { name?: string; volume?: string; pages?: string } | null
  publicationTypes?: string[] | null
  fieldsOfStudy?: string[] | null
  [key: string]: unknown
}

function typeOf(paper: S2Paper): ReferenceType {
  const types = paper.publicationTypes ?? []
  if (types.includes('Review') || types.includes('MetaAnalysis')) return 'review'
  if (types.includes('Editorial')) return 'editorial'
  if (types.includes('LettersAndComments')) return 'letter'
  if (types.includes('Conference')) return 'conference-paper'
  if (types.includes('Book')) return 'book'
  if (types.includes('BookSection')) return 'chapter'
  if (types.includes('Dataset')) return 'dataset'
  if (types.includes('News')) return 'news'
  if (types.length === 0 && paper.externalIds?.ArXiv && !paper.journal?.name) return 'preprint'
  return 'article'
}

export function s2PaperToRecord(paper: S2Paper): ReferenceRecord {
  const record = emptyRecord(typeOf(paper))
  record.sourceDatabase = 'Semantic Scholar'
  record.original = paper
  record.title = paper.title?.replace(/\s+/g, ' ').trim() || undefined
  record.abstract = paper.abstract?.trim() || undefined
  record.authors = (paper.authors ?? []).flatMap((a) => {
    const parsed = authorFromDisplayName(a.name)
    return parsed ? [parsed] : []
  })
  record.year = parseYear(paper.year)
  record.journal = paper.journal?.name || paper.publicationVenue?.name || paper.venue || undefined
  record.volume = paper.journal?.volume?.trim() || undefined
  record.pages = paper.journal?.pages?.replace(/\s+/g, '').trim() || undefined
  if (paper.publicationVenue?.issn) record.issn = [paper.publicationVenue.issn]
  const ids = paper.externalIds ?? {}
  record.doi = normalizeDoi(ids.DOI)
  record.pmid = normalizePmid(ids.PubMed)
  record.pmcid = ids.PubMedCentral ? normalizePmcid(`PMC${String(ids.PubMedCentral).replace(/^PMC/i, '')}`) : undefined
  record.arxivId = normalizeArxivId(ids.ArXiv)
  record.keywords = uniqueStrings(paper.fieldsOfStudy ?? [])
  record.url = paper.url ?? (paper.paperId ? `https://www.semanticscholar.org/paper/${paper.paperId}` : undefined)
  return compactRecord(record)
}

/** "DOI:10.…", "PMID:…", "PMCID:…", "ARXIV:…" or a 40-hex paper id; undefined when not one of those. */
export function s2IdFor(id: string): string | undefined {
  const text = id.trim()
  if (/^[0-9a-f]{40}$/i.test(text)) return text.toLowerCase()
  const prefixed = /^(CorpusId|MAG|ACL|URL):\s*(\S.*)$/i.exec(text)
  if (prefixed) return `${prefixed[1]}:${prefixed[2]}`
  if (/^(PMCID:\s*)?PMC\s*\d+$/i.test(text)) return `PMCID:${normalizePmcid(text)!.slice(3)}`
  if (/^PMCID:\s*\d+$/i.test(text)) return `PMCID:${text.replace(/\D/g, '')}`
  if (/arxiv/i.test(text) && normalizeArxivId(text.replace(/^arxiv:\s*/i, ''))) return `ARXIV:${normalizeArxivId(text.replace(/^arxiv:\s*/i, ''))}`
  const doi = normalizeDoi(text)
  if (doi) return `DOI:${doi}`
  if (/^(pmid:?\s*)?\d{1,9}$/i.test(text)) return `PMID:${normalizePmid(text)}`
  return undefined
}

export class SemanticScholarConnector implements SearchConnector, LookupConnector, CitationConnector {
  readonly id = 'semanticscholar' as const
  readonly label = 'Semantic Scholar'
  private readonly api: ApiContext

  constructor(options: ConnectorOptions = {}) {
    this.api = new ApiContext(
      { id: 'semanticscholar', baseUrl: SEMANTIC_SCHOLAR_DEFAULT_BASE_URL, requestsPerSecond: SEMANTIC_SCHOLAR_REQUESTS_PER_SECOND },
      options,
      options.apiKey ? { 'x-api-key': options.apiKey } : {}
    )
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  async* searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    const maxRecords = checkMaxRecords(options)
    const queryAsSent = describeQuery(query, options.params)
    const reachable = Math.min(maxRecords, SEMANTIC_SCHOLAR_SEARCH_LIMIT)
    let offset = 0
    let total = 0
    let retrieved = 0
    while (retrieved < reachable || offset === 0) {
      const limit = Math.max(1, Math.min(100, reachable - offset))
      const url = this.api.url('paper/search', { query, offset, limit, fields: PAPER_FIELDS, ...options.params })
      const page = await this.api.getJson<{ total?: number; offset?: number; next?: number; data?: S2Paper[] }>(url, options.signal)
      if (!page || typeof page.total !== 'number' || !Array.isArray(page.data)) {
        throw new ResponseFormatError(redactUrl(url), 'expected "total" and "data"')
      }
      total = page.total
      const records = page.data.slice(0, Math.max(0, reachable - retrieved)).map(s2PaperToRecord)
      retrieved += records.length
      options.onProgress?.({ retrieved, total: Math.min(total, reachable) })
      if (records.length > 0) yield { records, retrieved, total, queryAsSent }
      if (page.data.length === 0 || typeof page.next !== 'number' || retrieved >= reachable) break
      offset = page.next
    }
    const notes = total > SEMANTIC_SCHOLAR_SEARCH_LIMIT && maxRecords > SEMANTIC_SCHOLAR_SEARCH_LIMIT
      ? [`Semantic Scholar's relevance search returns at most ${SEMANTIC_SCHOLAR_SEARCH_LIMIT} of the ${total} matching papers.`]
      : []
    return { total, queryAsSent, notes }
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const wanted = ids.map((id) => ({ id, s2: s2IdFor(id) }))
    result.unsupported.push(...wanted.filter((w) => !w.s2).map((w) => w.id))
    const valid = wanted.filter((w) => w.s2)
    for (const group of chunk(valid, 500)) {
      const url = this.api.url('paper/batch', { fields: PAPER_FIELDS })
      const answer = await this.api.getJson<Array<S2Paper | null>>(url, options.signal, {
        method: 'POST', body: JSON.stringify({ ids: group.map((w) => w.s2) }), headers: { 'content-type': 'application/json' }
      })
      if (!Array.isArray(answer) || answer.length !== group.length) {
        throw new ResponseFormatError(redactUrl(url), 'expected one entry (or null) per requested id')
      }
      group.forEach((w, i) => {
        const paper = answer[i]
        if (paper && typeof paper === 'object' && paper.paperId) result.found.push({ id: w.id, record: s2PaperToRecord(paper) })
        else result.notFound.push(w.id)
      })
    }
    return result
  }

  private seedId(record: ReferenceRecord): string[] {
    const own = (record.original as S2Paper | null)?.paperId
    return uniqueStrings([
      record.sourceDatabase === 'Semantic Scholar' && typeof own === 'string' ? own : undefined,
      record.doi ? `DOI:${record.doi}` : undefined,
      record.pmid ? `PMID:${record.pmid}` : undefined,
      record.arxivId ? `ARXIV:${record.arxivId}` : undefined,
      record.pmcid ? `PMCID:${record.pmcid.slice(3)}` : undefined
    ])
  }

  private async chase(record: ReferenceRecord, direction: 'references' | 'citations', options: CitationOptions): Promise<CitationResult> {
    const maxRecords = options.maxRecords ?? Infinity
    for (const seed of this.seedId(record)) {
      const records: ReferenceRecord[] = []
      let offset = 0
      let seen = 0
      try {
        while (records.length < maxRecords) {
          const url = this.api.url(`paper/${encodePathId(seed)}/${direction}`, { offset, limit: 1000, fields: PAPER_FIELDS })
          const page = await this.api.getJson<{ offset?: number; next?: number; data?: Array<{ citedPaper?: S2Paper; citingPaper?: S2Paper }> }>(url, options.signal)
          if (!page || !Array.isArray(page.data)) throw new ResponseFormatError(redactUrl(url), 'expected "data"')
          for (const entry of page.data) {
            seen++
            const paper = direction === 'references' ? entry.citedPaper : entry.citingPaper
            // Unresolved references come back with a null paperId and little else.
            if (paper && (paper.paperId || paper.title) && records.length < maxRecords) records.push(s2PaperToRecord(paper))
          }
          if (page.data.length === 0 || typeof page.next !== 'number') break
          offset = page.next
        }
      } catch (error) {
        if (error instanceof UpstreamHttpError && error.status === 404) continue
        throw error
      }
      return { seedId: seed, seedFound: true, total: seen, records }
    }
    return { seedFound: false, total: 0, records: [] }
  }

  backward(record: ReferenceRecord, options: CitationOptions = {}): Promise<CitationResult> {
    return this.chase(record, 'references', options)
  }

  forward(record: ReferenceRecord, options: CitationOptions = {}): Promise<CitationResult> {
    return this.chase(record, 'citations', options)
  }
}
