/**
 * Europe PMC REST API: `/search` with `format=json`, `resultType=core` and
 * `cursorMark` paging (`pageSize` up to 1,000, default here 1,000). Paging
 * ends when the answer repeats the cursor it was given, or has no results.
 * Lookup runs a search on `EXT_ID`/`SRC:MED`, `PMCID` and `DOI` fields.
 */
import { emptyRecord } from '../references/model.ts'
import type { Author, ReferenceRecord, ReferenceType } from '../references/model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../references/identifiers.ts'
import { ResponseFormatError, redactUrl } from '../net/errors.ts'
import { ApiContext, chunk, collectSearch, cursorPaged, compactRecord, describeQuery, markupToText, orcidFrom, uniqueStrings } from './common.ts'
import type { ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector, SearchOptions, SearchResult, SearchSummary } from './types.ts'

export const EUROPE_PMC_DEFAULT_BASE_URL = 'https://www.ebi.ac.uk/europepmc/webservices/rest'
export const EUROPE_PMC_REQUESTS_PER_SECOND = 10

/** The parts of a Europe PMC `core` result this mapping reads. */
export interface EuropePmcResult {
  id?: string
  source?: string
  pmid?: string
  pmcid?: string
  doi?: string
  title?: string
  authorString?: string
  authorList?: { author?: Array<{ fullName?: string; firstName?: string; lastName?: string; initials?: string; collectiveName?: string; authorId?: { type?: string; value?: string } }> }
  journalInfo?: { issue?: string; volume?: string; yearOfPublication?: number; journal?: { title?: string; isoabbreviation?: string; medlineAbbreviation?: string; issn?: string; essn?: string } }
  pubYear?: string
  pageInfo?: string
  abstractText?: string
  language?: string
  pubTypeList?: { pubType?: string[] }
  keywordList?: { keyword?: string[] }
  meshHeadingList?: { meshHeading?: Array<{ descriptorName?: string }> }
  bookOrReportDetails?: { publisher?: string; yearOfPublication?: number }
  [key: string]: unknown
}

interface SearchAnswer {
  hitCount?: number
  nextCursorMark?: string
  resultList?: { result?: EuropePmcResult[] }
}

function typeOf(result: EuropePmcResult): ReferenceType {
  const types = (result.pubTypeList?.pubType ?? []).map((t) => t.toLowerCase())
  if (result.source === 'PPR' || types.includes('preprint')) return 'preprint'
  if (types.some((t) => t.includes('review'))) return 'review'
  if (types.includes('editorial')) return 'editorial'
  if (types.includes('letter') || types.includes('comment')) return 'letter'
  if (result.source === 'PAT') return 'patent'
  if (result.source === 'ETH') return 'thesis'
  if (result.source === 'HIR' || result.source === 'CTX') return 'report'
  return 'article'
}

export function europePmcResultToRecord(result: EuropePmcResult): ReferenceRecord {
  const record = emptyRecord(typeOf(result))
  record.sourceDatabase = 'Europe PMC'
  record.original = result
  record.title = markupToText(result.title)?.replace(/\n/g, ' ')
  record.abstract = markupToText(result.abstractText)
  const authors: Author[] = []
  for (const a of result.authorList?.author ?? []) {
    if (a.lastName) {
      const author: Author = { family: a.lastName }
      const given = a.firstName ?? a.initials
      if (given) author.given = given
      const orcid = a.authorId?.type === 'ORCID' ? orcidFrom(a.authorId.value) : undefined
      if (orcid) author.orcid = orcid
      authors.push(author)
    } else if (a.collectiveName || a.fullName) {
      authors.push({ family: (a.collectiveName ?? a.fullName)!, literal: true })
    }
  }
  record.authors = authors
  const journal = result.journalInfo?.journal
  record.journal = journal?.title
  record.journalAbbrev = journal?.isoabbreviation ?? journal?.medlineAbbreviation
  record.volume = result.journalInfo?.volume
  record.issue = result.journalInfo?.issue
  record.pages = result.pageInfo
  record.year = parseYear(result.pubYear) ?? parseYear(result.journalInfo?.yearOfPublication) ?? parseYear(result.bookOrReportDetails?.yearOfPublication)
  const issn = uniqueStrings([journal?.issn, journal?.essn])
  if (issn.length > 0) record.issn = issn
  record.doi = normalizeDoi(result.doi)
  record.pmid = normalizePmid(result.pmid ?? (result.source === 'MED' ? result.id : undefined))
  record.pmcid = normalizePmcid(result.pmcid)
  record.language = result.language
  record.publisher = result.bookOrReportDetails?.publisher
  record.keywords = uniqueStrings(result.keywordList?.keyword ?? [])
  record.mesh = uniqueStrings((result.meshHeadingList?.meshHeading ?? []).map((h) => h.descriptorName))
  if (result.source && result.id) record.url = `https://europepmc.org/article/${result.source}/${result.id}`
  return compactRecord(record)
}

export class EuropePmcConnector implements SearchConnector, LookupConnector {
  readonly id = 'europepmc' as const
  readonly label = 'Europe PMC'
  private readonly api: ApiContext
  private readonly pageSize: number

  constructor(options: ConnectorOptions = {}) {
    this.api = new ApiContext({ id: 'europepmc', baseUrl: EUROPE_PMC_DEFAULT_BASE_URL, requestsPerSecond: EUROPE_PMC_REQUESTS_PER_SECOND }, options)
    this.pageSize = Math.min(Math.max(1, options.pageSize ?? 1000), 1000)
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  private async page(query: string, cursorMark: string, pageSize: number, params: Record<string, string> | undefined, signal?: AbortSignal) {
    const url = this.api.url('search', { query, format: 'json', resultType: 'core', pageSize, cursorMark, ...params })
    const answer = await this.api.getJson<SearchAnswer>(url, signal)
    if (!answer || typeof answer.hitCount !== 'number' || !Array.isArray(answer.resultList?.result)) {
      throw new ResponseFormatError(redactUrl(url), 'expected "hitCount" and "resultList.result"')
    }
    return { hitCount: answer.hitCount, next: answer.nextCursorMark, results: answer.resultList!.result! }
  }

  searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    return cursorPaged(options, describeQuery(query, options.params), this.pageSize, async (cursor, rows) => {
      const page = await this.page(query, cursor, rows, options.params, options.signal)
      return { total: page.hitCount, items: page.results, next: page.next }
    }, europePmcResultToRecord)
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const wanted: Array<{ id: string; field: 'pmid' | 'pmcid' | 'doi'; value: string }> = []
    for (const id of ids) {
      const text = id.trim()
      const pmcid = /^PMC\s*\d+$/i.test(text) ? normalizePmcid(text) : undefined
      const doi = pmcid ? undefined : normalizeDoi(text)
      const pmid = pmcid || doi || !/^(pmid:?\s*)?\d{1,9}$/i.test(text) ? undefined : normalizePmid(text)
      if (pmcid) wanted.push({ id, field: 'pmcid', value: pmcid })
      else if (doi) wanted.push({ id, field: 'doi', value: doi })
      else if (pmid) wanted.push({ id, field: 'pmid', value: pmid })
      else result.unsupported.push(id)
    }
    const records: ReferenceRecord[] = []
    for (const group of chunk(wanted, 50)) {
      const query = group.map((w) => w.field === 'pmid' ? `(EXT_ID:${w.value} AND SRC:MED)` : w.field === 'pmcid' ? `PMCID:${w.value}` : `DOI:"${w.value}"`).join(' OR ')
      const page = await this.page(query, '*', 1000, undefined, options.signal)
      records.push(...page.results.map(europePmcResultToRecord))
    }
    for (const w of wanted) {
      const record = records.find((r) => r[w.field] === w.value)
      if (record) result.found.push({ id: w.id, record })
      else result.notFound.push(w.id)
    }
    return result
  }
}
