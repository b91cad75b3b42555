/**
 * arXiv API: `/query?search_query=…&start=…&max_results=…` answering Atom
 * XML with `opensearch:totalResults`. The query is passed through as written,
 * so field prefixes (`ti:`, `abs:`, `au:`, `cat:`, `all:`), quoted phrases and
 * the boolean operators `AND`, `OR`, `ANDNOT` reach arXiv unchanged.
 * Pages of 500 (arXiv allows up to 2,000 a call and 30,000 a query), sorted
 * by submission date ascending unless `params` say otherwise, so records
 * submitted while paging cannot shift pages. arXiv asks for at most one
 * request every 3 seconds. An empty page before the total is a known
 * transient arXiv failure and is asked again twice.
 * Lookup: `id_list=` with up to 100 ids a request.
 */
import { emptyRecord } from '../references/model.ts'
import type { ReferenceRecord } from '../references/model.ts'
import { normalizeArxivId, normalizeDoi, parseYear } from '../references/identifiers.ts'
import { ApiError, ResponseFormatError, redactUrl } from '../net/errors.ts'
import { ApiContext, authorFromDisplayName, checkMaxRecords, chunk, collectSearch, compactRecord, describeQuery, uniqueStrings } from './common.ts'
import type { ConnectorOptions, LookupConnector, LookupResult, SearchBatch, SearchConnector, SearchOptions, SearchResult, SearchSummary } from './types.ts'
import { parseXml } from './xml.ts'
import { childrenNamed, elementToJson, textAt, textOf, type XmlElement } from '../references/formats/xml-stream.ts'

export const ARXIV_DEFAULT_BASE_URL = 'https://export.arxiv.org/api'
export const ARXIV_REQUESTS_PER_SECOND = 1 / 3
export const ARXIV_MAX_RESULTS = 30_000

export function arxivEntryToRecord(entry: XmlElement): ReferenceRecord {
  const record = emptyRecord('preprint')
  record.sourceDatabase = 'arXiv'
  record.original = elementToJson(entry)
  const absUrl = textAt(entry, 'id')
  record.arxivId = normalizeArxivId(absUrl)
  record.title = textAt(entry, 'title')
  record.abstract = textAt(entry, 'summary')
  record.authors = childrenNamed(entry, 'author').flatMap((a) => {
    const parsed = authorFromDisplayName(textAt(a, 'name'))
    return parsed ? [parsed] : []
  })
  record.year = parseYear(textAt(entry, 'published'))
  record.doi = normalizeDoi(textAt(entry, 'arxiv:doi'))
  const journalRef = textAt(entry, 'arxiv:journal_ref')
  if (journalRef) record.notes.push(`Journal reference: ${journalRef}`)
  const comment = textAt(entry, 'arxiv:comment')
  if (comment) record.notes.push(comment)
  record.keywords = uniqueStrings(childrenNamed(entry, 'category').map((c) => c.attributes.term))
  record.url = record.arxivId ? `https://arxiv.org/abs/${record.arxivId}` : absUrl
  return compactRecord(record)
}

interface Feed {
  total: number
  entries: XmlElement[]
}

function parseFeed(xml: string, url: string): Feed {
  let root: XmlElement
  try {
    root = parseXml(xml)
  } catch (error) {
    throw new ResponseFormatError(url, `arXiv answer is not well-formed XML (${(error as Error).message})`, { cause: error })
  }
  if (root.name !== 'feed') throw new ResponseFormatError(url, `expected an Atom <feed>, got <${root.name}>`)
  const entries = childrenNamed(root, 'entry')
  // arXiv reports errors as a feed with one entry whose id is …/api/errors#…
  const error = entries.find((e) => /\/api\/errors/.test(textAt(e, 'id') ?? ''))
  if (error) throw new ApiError(url, textAt(error, 'summary') ?? textAt(error, 'title') ?? 'arXiv error')
  const total = Number(textOf(childrenNamed(root, 'opensearch:totalResults')[0]))
  if (!Number.isInteger(total)) throw new ResponseFormatError(url, 'missing opensearch:totalResults')
  return { total, entries }
}

export class ArxivConnector implements SearchConnector, LookupConnector {
  readonly id = 'arxiv' as const
  readonly label = 'arXiv'
  private readonly api: ApiContext
  private readonly pageSize: number

  constructor(options: ConnectorOptions = {}) {
    this.api = new ApiContext({ id: 'arxiv', baseUrl: ARXIV_DEFAULT_BASE_URL, requestsPerSecond: ARXIV_REQUESTS_PER_SECOND, timeoutMs: 60_000 }, options)
    this.pageSize = Math.min(Math.max(1, options.pageSize ?? 500), 2000)
  }

  search(query: string, options: SearchOptions): Promise<SearchResult> {
    return collectSearch(this.searchBatches(query, options))
  }

  private async feed(params: Record<string, string | number>, signal?: AbortSignal): Promise<Feed> {
    const url = this.api.url('query', params)
    return parseFeed(await this.api.getText(url, signal, {}, 'application/atom+xml'), redactUrl(url))
  }

  async* searchBatches(query: string, options: SearchOptions): AsyncGenerator<SearchBatch, SearchSummary> {
    const maxRecords = checkMaxRecords(options)
    const params = { sortBy: 'submittedDate', sortOrder: 'ascending', ...options.params }
    const queryAsSent = describeQuery(query, options.params)
    const notes: string[] = []
    let start = 0
    let total = 0
    let retrieved = 0
    let emptyPages = 0
    while (true) {
      const reachable = Math.min(maxRecords, total || Infinity, ARXIV_MAX_RESULTS)
      const maxResults = Math.max(1, Math.min(this.pageSize, reachable - start))
      const page = await this.feed({ search_query: query, start, max_results: maxResults, ...params }, options.signal)
      total = page.total
      const limit = Math.min(maxRecords, total, ARXIV_MAX_RESULTS)
      if (page.entries.length === 0 && start < limit && emptyPages < 2) {
        emptyPages++
        continue
      }
      emptyPages = 0
      const records = page.entries.slice(0, Math.max(0, limit - retrieved)).map(arxivEntryToRecord)
      retrieved += records.length
      start += page.entries.length
      options.onProgress?.({ retrieved, total: limit })
      if (records.length > 0) yield { records, retrieved, total, queryAsSent }
      if (page.entries.length === 0 || retrieved >= limit) break
    }
    if (total > ARXIV_MAX_RESULTS && maxRecords > ARXIV_MAX_RESULTS) notes.push(`arXiv returns at most ${ARXIV_MAX_RESULTS} of the ${total} matching records.`)
    if (retrieved < Math.min(maxRecords, total, ARXIV_MAX_RESULTS)) notes.push(`arXiv stopped returning records after ${retrieved}.`)
    return { total, queryAsSent, notes }
  }

  async lookup(ids: string[], options: { signal?: AbortSignal } = {}): Promise<LookupResult> {
    const result: LookupResult = { found: [], notFound: [], unsupported: [] }
    const wanted = ids.map((id) => ({ id, arxiv: /^10\./.test(id.trim()) ? undefined : normalizeArxivId(id) }))
    result.unsupported.push(...wanted.filter((w) => !w.arxiv).map((w) => w.id))
    const valid = wanted.filter((w) => w.arxiv)
    const records: ReferenceRecord[] = []
    for (const group of chunk([...new Set(valid.map((w) => w.arxiv!))], 100)) {
      const page = await this.feed({ id_list: group.join(','), max_results: group.length }, options.signal)
      // An id arXiv does not have comes back as an entry without a title.
      records.push(...page.entries.filter((e) => textAt(e, 'title')).map(arxivEntryToRecord))
    }
    for (const w of valid) {
      const record = records.find((r) => r.arxivId === w.arxiv)
      if (record) result.found.push({ id: w.id, record })
      else result.notFound.push(w.id)
    }
    return result
  }
}
