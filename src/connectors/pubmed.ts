/**
 * PubMed through NCBI E-utilities.
 *
 * Search: `esearch.fcgi` with `usehistory=y` (the query is POSTed when long),
 * then `efetch.fcgi` with `WebEnv`/`query_key` in `retstart`/`retmax` batches
 * (`retmode=xml`, default 500 records a batch, at most 10,000). The batches
 * are requested concurrently, paced by the rate limiter: 3 requests/s
 * without an API key, 10 with one (NCBI's limits).
 *
 * PubMed only lets a history be read up to its first 9,999 records. When a
 * query has more hits (and more are wanted), it is split by publication date:
 * `(<query>) AND ("2010/01/01"[dp] : "2014/12/31"[dp])`, bisecting ranges
 * (whole years first, then days) until each range is under the window.
 * Records dated in two ranges (print and electronic dates) are returned once.
 *
 * Lookup: PMIDs by efetch (POST, 200 a request); PMCIDs and DOIs through
 * the PMC ID converter (200 a request, one id type a request), and DOIs the
 * converter does not know (articles not in PMC) through esearch `[aid]`.
 */
import type { ReferenceRecord } from '../references/model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid } from '../references/identifiers.ts'
import { ApiError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import { ApiContext, checkMaxRecords, chunk, collectSearch, inOrder } from './common.ts'
import type { ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector, SearchOptions, SearchResult, SearchSummary } from './types.ts'
import { pubmedXmlFormat } from '../references/formats/pubmed-xml.ts'
import { textChunks } from '../references/text.ts'

export const PUBMED_DEFAULT_BASE_URL = 'https://eutils.ncbi.nlm.nih.gov/entrez/eutils'
export const NCBI_IDCONV_DEFAULT_BASE_URL = 'https://www.ncbi.nlm.nih.gov/pmc/utils/idconv/v1.0/'
/** Records an E-utilities history can be read to. */
export const PUBMED_HISTORY_WINDOW = 9999
export const PUBMED_DEFAULT_BATCH_SIZE = 500

export interface PubMedOptions extends ConnectorOptions {
  /** PMC ID converter root (NCBI_IDCONV_BASE_URL). */
  idconvBaseUrl?: string
  /** Records readable from one history (default 9,999); lowered in tests. */
  historyWindow?: number
}

export function pubmedRequestsPerSecond(apiKey?: string): number {
  return apiKey ? 10 : 3
}

interface EsearchAnswer {
  count: number
  webEnv?: string
  queryKey?: string
  ids: string[]
  queryTranslation?: string
  warnings: string[]
}

interface DateRange {
  from: Date
  to: Date
}

const DAY_MS = 86_400_000
const LONG_QUERY = 1500

function formatDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${date.getUTCFullYear()}/${pad(date.getUTCMonth() + 1)}/${pad(date.getUTCDate())}`
}

export function dateRangeTerm(query: string, range: DateRange): string {
  return `(${query}) AND ("${formatDate(range.from)}"[dp] : "${formatDate(range.to)}"[dp])`
}

/** Halves a range: on a year boundary while it spans several years, otherwise by days. */
export function splitDateRange(range: DateRange): [DateRange, DateRange] | undefined {
  const fromYear = range.from.getUTCFullYear()
  const toYear = range.to.getUTCFullYear()
  if (toYear > fromYear) {
    const secondStart = Math.floor((fromYear + toYear + 1) / 2)
    return [
      { from: range.from, to: new Date(Date.UTC(secondStart - 1, 11, 31)) },
      { from: new Date(Date.UTC(secondStart, 0, 1)), to: range.to }
    ]
  }
  const days = Math.round((range.to.getTime() - range.from.getTime()) / DAY_MS)
  if (days < 1) return undefined
  const mid = new Date(range.from.getTime() + Math.floor(days / 2) * DAY_MS)
  return [{ from: range.from, to: mid }, { from: new Date(mid.getTime() + DAY_MS), to: range.to }]
}

function classifyId(raw: string): { kind: 'pmid' | 'pmcid' | 'doi'; value: string } | undefined {
  const text = raw.trim()
  if (/^PMC\s*\d+$/i.test(text) || /\/pmc\/articles\/PMC\d+/i.test(text)) return { kind: 'pmcid', value: normalizePmcid(text)! }
  const doi = normalizeDoi(text)
  if (doi) return { kind: 'doi', value: doi }
  if (/^(pmid:?\s*)?\d{1,9}$/i.test(text)) return { kind: 'pmid', value: normalizePmid(text)! }
  return undefined
}

export class PubMedConnector implements SearchConnector, LookupConnector {
  readonly id = 'pubmed' as const
  readonly label = 'PubMed'
  private readonly api: ApiContext
  private readonly idconvBaseUrl: string
  private readonly common: Record<string, string>
  private readonly batchSize: number
  private readonly window: number

  constructor(options: PubMedOptions = {}) {
    this.api = new ApiContext(
      // NCBI counts arrivals and blocks an address that goes over: a 300 ms margin (not 10%) covers a granted
      // request whose send waits while the event loop parses a 500-record batch, as two searches at once do.
      { id: 'pubmed', baseUrl: PUBMED_DEFAULT_BASE_URL, requestsPerSecond: pubmedRequestsPerSecond(options.apiKey), safetyMarginMs: 300 },
      options
    )
    this.idconvBaseUrl = options.idconvBaseUrl ?? NCBI_IDCONV_DEFAULT_BASE_URL
    this.common = { tool: options.tool ?? 'AnalyLit' }
    if (options.email) this.common.email = options.email
    if (options.apiKey) this.common.api_key = options.apiKey
    this.batchSize = Math.min(Math.max(1, options.pageSize ?? PUBMED_DEFAULT_BATCH_SIZE), 10_000)
    this.window = options.historyWindow ?? PUBMED_HISTORY_WINDOW
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  async* searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    const maxRecords = checkMaxRecords(options)
    const { signal } = options
    const first = await this.esearch(query, { usehistory: 'y', retmax: '0' }, signal)
    const notes: string[] = []
    if (first.queryTranslation) notes.push(`PubMed query translation: ${first.queryTranslation}`)
    notes.push(...first.warnings)
    const total = first.count
    const wanted = Math.min(total, maxRecords)
    const summary = (): SearchSummary => ({ total, queryAsSent: query, notes })
    if (wanted === 0) return summary()

    let leaves: Array<{ term: string; answer: EsearchAnswer }>
    if (wanted <= this.window) {
      leaves = [{ term: query, answer: first }]
    } else {
      leaves = await this.splitByDate(query, first, signal, notes)
      notes.push(`PubMed returns at most ${this.window} records per query: the search was run as ${leaves.length} publication-date ranges and merged.`)
    }

    const seen = new Set<string>()
    let retrieved = 0
    for (const leaf of leaves) {
      // Only the batches still needed: records dated in two ranges are rare enough not to plan for.
      const count = Math.min(leaf.answer.count, this.window, wanted - retrieved)
      const starts: number[] = []
      for (let start = 0; start < count; start += this.batchSize) starts.push(start)
      const tasks = starts.map((start) => (taskSignal: AbortSignal) =>
        this.efetchHistory(leaf.answer, start, Math.min(this.batchSize, count - start), taskSignal))
      for await (const batch of inOrder(tasks, this.api.limiter.requestsPerWindow * 2, signal)) {
        const records: ReferenceRecord[] = []
        for (const record of batch) {
          if (retrieved + records.length >= wanted) break
          const key = record.pmid ?? `${record.title}|${record.year}`
          if (seen.has(key)) continue
          seen.add(key)
          records.push(record)
        }
        retrieved += records.length
        options.onProgress?.({ retrieved, total: wanted })
        if (records.length > 0) yield { records, retrieved, total, queryAsSent: query }
        if (retrieved >= wanted) return summary()
      }
    }
    if (retrieved < wanted) notes.push(`${wanted - retrieved} of the ${wanted} records PubMed counted could not be retrieved.`)
    return summary()
  }

  /** Bisects the publication-date range until every part is under the history window. */
  private async splitByDate(query: string, first: EsearchAnswer, signal: AbortSignal | undefined, notes: string[]): Promise<Array<{ term: string; answer: EsearchAnswer }>> {
    const thisYear = new Date().getUTCFullYear()
    const whole: DateRange = { from: new Date(Date.UTC(1000, 0, 1)), to: new Date(Date.UTC(thisYear + 5, 11, 31)) }
    const visit = async (range: DateRange, term: string, answer: EsearchAnswer): Promise<Array<{ term: string; answer: EsearchAnswer }>> => {
      if (answer.count <= this.window) return [{ term, answer }]
      const halves = splitDateRange(range)
      if (!halves) {
        notes.push(`${answer.count - this.window} records dated ${formatDate(range.from)} are beyond PubMed's window and were not retrieved.`)
        return [{ term, answer }]
      }
      const parts = await Promise.all(halves.map(async (half) => {
        const halfTerm = dateRangeTerm(query, half)
        const halfAnswer = await this.esearch(halfTerm, { usehistory: 'y', retmax: '0' }, signal)
        return halfAnswer.count === 0 ? [] : visit(half, halfTerm, halfAnswer)
      }))
      return parts.flat()
    }
    return visit(whole, query, first)
  }

  private async esearch(term: string, extra: Record<string, string>, signal?: AbortSignal): Promise<EsearchAnswer> {
    const params = { db: 'pubmed', term, retmode: 'json', ...extra, ...this.common }
    const url = this.api.url('esearch.fcgi')
    // Long search strategies go in a POST body: URLs over a few thousand characters are refused.
    const json = term.length > LONG_QUERY
      ? await this.api.getJson<unknown>(url, signal, { method: 'POST', body: new URLSearchParams(params) })
      : await this.api.getJson<unknown>(this.api.url('esearch.fcgi', params), signal)
    return readEsearch(json, redactUrl(url))
  }

  private async efetchHistory(history: EsearchAnswer, retstart: number, retmax: number, signal: AbortSignal): Promise<ReferenceRecord[]> {
    const url = this.api.url('efetch.fcgi', {
      db: 'pubmed', query_key: history.queryKey, WebEnv: history.webEnv, retstart, retmax, retmode: 'xml', ...this.common
    })
    // An empty page inside the count is a known transient E-utilities failure: ask again twice.
    for (let attempt = 0; ; attempt++) {
      const records = await parseEfetch(await this.api.getText(url, signal, {}, 'application/xml'), redactUrl(url))
      if (records.length > 0 || attempt >= 2) {
        if (records.length === 0) throw new ApiError(redactUrl(url), `efetch returned no records at retstart=${retstart}`)
        return records
      }
    }
  }

  private async efetchIds(pmids: string[], signal?: AbortSignal): Promise<ReferenceRecord[]> {
    const batches = await Promise.all(chunk(pmids, 200).map(async (ids) => {
      const url = this.api.url('efetch.fcgi')
      const body = new URLSearchParams({ db: 'pubmed', id: ids.join(','), retmode: 'xml', ...this.common })
      return await parseEfetch(await this.api.getText(url, signal, { method: 'POST', body }, 'application/xml'), redactUrl(url))
    }))
    return batches.flat()
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const { signal } = options
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const requests: Array<{ id: string; kind: 'pmid' | 'pmcid' | 'doi'; value: string }> = []
    for (const id of ids) {
      const kind = classifyId(id)
      if (kind) requests.push({ id, ...kind })
      else result.unsupported.push(id)
    }
    // PMCIDs and DOIs -> PMIDs via the ID converter, then DOIs it does not know via esearch.
    const pmidFor = new Map<string, string>()
    for (const kind of ['pmcid', 'doi'] as const) {
      const values = [...new Set(requests.filter((r) => r.kind === kind).map((r) => r.value))]
      for (const group of chunk(values, 200)) {
        for (const [value, pmid] of await this.convertIds(group, kind, signal)) pmidFor.set(`${kind}:${value}`, pmid)
      }
    }
    const unresolvedDois = [...new Set(requests.filter((r) => r.kind === 'doi' && !pmidFor.has(`doi:${r.value}`)).map((r) => r.value))]
    const extraPmids: string[] = []
    for (const group of chunk(unresolvedDois, 50)) {
      const term = group.map((doi) => `"${doi}"[aid]`).join(' OR ')
      const answer = await this.esearch(term, { retmax: String(group.length * 3) }, signal)
      extraPmids.push(...answer.ids)
    }
    const pmids = new Set<string>(extraPmids)
    for (const request of requests) {
      const pmid = request.kind === 'pmid' ? request.value : pmidFor.get(`${request.kind}:${request.value}`)
      if (pmid) pmids.add(pmid)
    }
    const records = pmids.size > 0 ? await this.efetchIds([...pmids], signal) : []
    const byPmid = new Map(records.filter((r) => r.pmid).map((r) => [r.pmid!, r]))
    const byDoi = new Map(records.filter((r) => r.doi).map((r) => [r.doi!, r]))
    const byPmcid = new Map(records.filter((r) => r.pmcid).map((r) => [r.pmcid!, r]))
    for (const request of requests) {
      const viaConverter = pmidFor.get(`${request.kind}:${request.value}`)
      const record = request.kind === 'pmid' ? byPmid.get(request.value)
        : (viaConverter ? byPmid.get(viaConverter) : undefined) ??
          (request.kind === 'doi' ? byDoi.get(request.value) : byPmcid.get(request.value))
      if (record) result.found.push({ id: request.id, record })
      else result.notFound.push(request.id)
    }
    return result
  }

  /** PMC ID converter: returns value -> PMID for the ids it knows. */
  private async convertIds(values: string[], idtype: 'pmcid' | 'doi', signal?: AbortSignal): Promise<Map<string, string>> {
    const url = `${this.idconvBaseUrl}${this.idconvBaseUrl.includes('?') ? '&' : '?'}${new URLSearchParams({
      ids: values.join(','), idtype, format: 'json', versions: 'no', ...this.common
    })}`
    const json = await this.api.getJson<{ status?: string; message?: string; records?: Array<Record<string, unknown>> }>(url, signal)
    if (!json || typeof json !== 'object' || (!Array.isArray(json.records) && json.status !== 'error')) {
      throw new ResponseFormatError(redactUrl(url), 'ID converter answer has no "records" list')
    }
    if (json.status === 'error') throw new ApiError(redactUrl(url), String(json.message ?? 'ID converter error'))
    const found = new Map<string, string>()
    for (const entry of json.records ?? []) {
      if (entry.status === 'error' || entry.pmid === undefined || entry.pmid === null) continue
      const pmid = normalizePmid(String(entry.pmid))
      if (!pmid) continue
      const requested = typeof entry['requested-id'] === 'string' ? entry['requested-id'] : undefined
      const key = idtype === 'doi'
        ? normalizeDoi(requested ?? String(entry.doi ?? ''))
        : normalizePmcid(requested ?? String(entry.pmcid ?? ''))
      if (key && values.includes(key)) found.set(key, pmid)
    }
    return found
  }
}

function readEsearch(json: unknown, url: string): EsearchAnswer {
  const top = json as { error?: string; esearchresult?: Record<string, unknown> }
  if (top && typeof top.error === 'string') throw new ApiError(url, top.error)
  const result = top?.esearchresult
  if (!result || typeof result !== 'object') throw new ResponseFormatError(url, 'esearch answer has no "esearchresult"')
  if (typeof result.ERROR === 'string') throw new ApiError(url, result.ERROR)
  const count = Number(result.count)
  if (!Number.isInteger(count) || count < 0) throw new ResponseFormatError(url, `esearch count is not a number: ${JSON.stringify(result.count)}`)
  const warnings: string[] = []
  const errorlist = result.errorlist as Record<string, string[]> | undefined
  const phrases = errorlist?.phrasesnotfound ?? []
  if (phrases.length > 0) warnings.push(`PubMed did not find these phrases: ${phrases.join(', ')}`)
  const warninglist = result.warninglist as Record<string, string[]> | undefined
  for (const message of warninglist?.outputmessages ?? []) warnings.push(`PubMed: ${message}`)
  return {
    count,
    webEnv: typeof result.webenv === 'string' ? result.webenv : undefined,
    queryKey: result.querykey !== undefined ? String(result.querykey) : undefined,
    ids: Array.isArray(result.idlist) ? result.idlist.map(String) : [],
    queryTranslation: typeof result.querytranslation === 'string' ? result.querytranslation : undefined,
    warnings
  }
}

/**
 * Maps an efetch answer with the PubMed XML importer (one mapping for files
 * and API answers); throws on an error document, on malformed XML, and on an
 * article the importer cannot read.
 */
export async function parseEfetch(xml: string, url = 'efetch'): Promise<ReferenceRecord[]> {
  const root = /<(PubmedArticleSet|eFetchResult|ERROR)[\s>]/.exec(xml.slice(0, 4096))
  if (root && root[1] !== 'PubmedArticleSet') {
    throw new ApiError(url, /<ERROR>([^<]*)<\/ERROR>/.exec(xml)?.[1]?.trim() || 'efetch error')
  }
  if (!root) throw new ResponseFormatError(url, `expected <PubmedArticleSet>, got ${JSON.stringify(xml.slice(0, 80))}`)
  const records: ReferenceRecord[] = []
  try {
    for await (const item of pubmedXmlFormat.parse({ text: () => textChunks(xml), bytes: () => { throw new Error('text only') } })) {
      if (item.kind === 'error') throw new Error(item.message)
      records.push({ ...item.record, sourceDatabase: 'PubMed' })
    }
  } catch (error) {
    throw new ResponseFormatError(url, `efetch answer is not well-formed XML (${(error as Error).message})`, { cause: error })
  }
  return records
}
