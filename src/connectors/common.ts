/**
 * What the connectors share: building URLs, one request context per
 * connector (rate limiter, retries, headers), collecting paged searches,
 * and small text helpers for the formats the APIs return.
 */
import { fetchJson, fetchText } from '../net/http.ts'
import type { FetchImpl, RequestOptions } from '../net/http.ts'
import { createRateLimiter, processRateLimiters } from '../net/rate-limit.ts'
import type { RateLimiter } from '../net/rate-limit.ts'
import type { ReferenceRecord } from '../references/model.ts'
import { decodeHtmlEntities } from '../references/text.ts'
import type { ConnectorOptions, DatabaseId, SearchBatch, SearchOptions, SearchResult, SearchSummary } from './types.ts'

export const USER_AGENT = 'AnalyLit/0.1'

/** "AnalyLit/0.1 (mailto:team@example.org)": Crossref and OpenAlex ask clients to say who to contact. */
export function userAgent(email?: string): string {
  return email ? `${USER_AGENT} (mailto:${email})` : USER_AGENT
}

/** `base` + `path` with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`
}

/** Encodes an identifier for a URL path, keeping its slashes (DOIs: "10.1000/a#b" -> "10.1000/a%23b"). */
export function encodePathId(id: string): string {
  return encodeURIComponent(id).replace(/%2F/gi, '/')
}

export function withQuery(url: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text ? `${url}${url.includes('?') ? '&' : '?'}${text}` : url
}

export interface ApiContextDefaults {
  id: DatabaseId
  baseUrl: string
  requestsPerSecond: number
  maxConcurrent?: number
  /** Added to the limiter's window (default 10% of it): the margin for requests sent later than granted. */
  safetyMarginMs?: number
  timeoutMs?: number
}

/** Per-connector request settings: limiter, retry policy and headers. */
export class ApiContext {
  readonly baseUrl: string
  readonly limiter: RateLimiter
  private readonly requestOptions: Omit<RequestOptions, 'signal'>
  private readonly headers: Record<string, string>

  constructor(defaults: ApiContextDefaults, options: ConnectorOptions, headers: Record<string, string> = {}) {
    this.baseUrl = (options.baseUrl ?? defaults.baseUrl).replace(/\/+$/, '')
    if (typeof options.rateLimit === 'object') {
      this.limiter = options.rateLimit
    } else {
      const requestsPerSecond = options.rateLimit ?? defaults.requestsPerSecond
      const key = `${defaults.id}|${this.baseUrl}|${options.apiKey ? 'key' : 'anonymous'}`
      this.limiter = options.rateLimit === undefined
        ? (options.limiters ?? processRateLimiters).limiter(key, { requestsPerSecond, maxConcurrent: defaults.maxConcurrent, safetyMarginMs: defaults.safetyMarginMs })
        : createRateLimiter({ requestsPerSecond, maxConcurrent: defaults.maxConcurrent, safetyMarginMs: defaults.safetyMarginMs })
    }
    this.requestOptions = {
      retries: options.retries ?? 4,
      baseDelayMs: options.baseDelayMs ?? 1000,
      maxDelayMs: options.maxDelayMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? defaults.timeoutMs ?? 30_000,
      fetchImpl: options.fetchImpl as FetchImpl | undefined,
      rateLimiter: this.limiter
    }
    this.headers = { 'user-agent': userAgent(options.email), ...headers }
  }

  url(path: string, params: Record<string, string | number | undefined> = {}): string {
    return withQuery(joinUrl(this.baseUrl, path), params)
  }

  getJson<T>(url: string, signal?: AbortSignal, init: RequestInit = {}): Promise<T> {
    return fetchJson<T>(url, this.init(init, 'application/json'), { ...this.requestOptions, signal })
  }

  async getText(url: string, signal?: AbortSignal, init: RequestInit = {}, accept = '*/*'): Promise<string> {
    const { text } = await fetchText(url, this.init(init, accept), { ...this.requestOptions, signal })
    return text
  }

  private init(init: RequestInit, accept: string): RequestInit {
    return { ...init, headers: { accept, ...this.headers, ...(init.headers as Record<string, string> | undefined) } }
  }
}

/** Runs a batch generator to the end and gathers its records. */
export async function collectSearch(batches: AsyncGenerator<SearchBatch, SearchSummary>): Promise<SearchResult> {
  const records: ReferenceRecord[] = []
  while (true) {
    const next = await batches.next()
    if (next.done) return { total: next.value.total, queryAsSent: next.value.queryAsSent, notes: next.value.notes, records }
    records.push(...next.value.records)
  }
}

/** One page of a cursor-paged API: the total it reports, its items, and the cursor of the next page. */
export interface CursorPage<T> {
  total: number
  items: T[]
  next?: string
}

/**
 * Cursor paging as Crossref, Europe PMC and OpenAlex do it: start at "*",
 * ask for at most what is still wanted, stop at maxRecords, on an empty page,
 * or when there is no new cursor.
 */
export async function* cursorPaged<T>(
  options: SearchOptions, queryAsSent: string, pageSize: number,
  fetchPage: (cursor: string, rows: number) => Promise<CursorPage<T>>, toRecord: (item: T) => ReferenceRecord
): AsyncGenerator<SearchBatch, SearchSummary> {
  const maxRecords = checkMaxRecords(options)
  let cursor = '*'
  let retrieved = 0
  let total: number
  while (true) {
    const remaining = maxRecords - retrieved
    const page = await fetchPage(cursor, Math.min(pageSize, Math.max(1, remaining)))
    total = page.total
    const records = page.items.slice(0, Math.max(0, remaining)).map(toRecord)
    retrieved += records.length
    options.onProgress?.({ retrieved, total: Math.min(total, maxRecords) })
    if (records.length > 0) yield { records, retrieved, total, queryAsSent }
    if (retrieved >= maxRecords || page.items.length === 0 || !page.next || page.next === cursor) break
    cursor = page.next
  }
  return { total, queryAsSent, notes: [] }
}

export function checkMaxRecords(options: SearchOptions): number {
  const max = options.maxRecords
  if (!(max >= 0)) throw new RangeError(`maxRecords must be 0 or more (or Infinity), got ${max}`)
  return max
}

/** The API's query description for the search log, with the extra parameters the caller passed. */
export function describeQuery(query: string, params?: Record<string, string>): string {
  const extra = Object.entries(params ?? {}).map(([k, v]) => `${k}=${v}`)
  return extra.length > 0 ? `${query} [${extra.join('; ')}]` : query
}

/** Drop optional fields that a mapping left undefined, so records serialise and compare cleanly. */
export function compactRecord(record: ReferenceRecord): ReferenceRecord {
  const fields = record as unknown as Record<string, unknown>
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key]
  return record
}

export function uniqueStrings(values: Array<string | undefined | null>): string[] {
  const result: string[] = []
  for (const value of values) {
    const text = value?.trim()
    if (text && !result.includes(text)) result.push(text)
  }
  return result
}

export function chunk<T>(items: T[], size: number): T[][] {
  const result: T[][] = []
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size))
  return result
}

const BLOCK_ELEMENTS = /^(?:[a-z]+:)?(p|sec|title|list-item|list|div|h\d|li|br|abstract|caption|table-wrap)$/i

/**
 * Markup (JATS `<jats:p>`, HTML `<h4>`, MathML…) to plain text: block
 * elements become line breaks, a section title becomes "Title: " before its
 * text, a leading "Abstract" heading is dropped, entities are decoded.
 */
export function markupToText(markup: string | undefined | null): string | undefined {
  if (!markup) return undefined
  const parts: string[] = []
  let pendingTitle: string | undefined
  let inTitle = false
  let titleText = ''
  const tokenizer = /<!\[CDATA\[([\s\S]*?)\]\]>|<!--[\s\S]*?-->|<\/?([a-z][\w:.-]*)(?:\s[^<>]*?)?\/?>|([^<]+|<)/gi
  let match: RegExpExecArray | null
  while ((match = tokenizer.exec(markup)) !== null) {
    const [whole, cdata, tagName, text] = match
    if (cdata !== undefined || text !== undefined) {
      const value = decodeHtmlEntities(cdata ?? text ?? '')
      if (inTitle) titleText += value
      else {
        if (pendingTitle && value.trim()) {
          parts.push(`${pendingTitle}: `)
          pendingTitle = undefined
        }
        parts.push(value)
      }
      continue
    }
    if (!tagName) continue
    const closing = whole.startsWith('</')
    const local = tagName.replace(/^[a-z]+:/i, '').toLowerCase()
    if (local === 'title' || /^h[1-6]$/.test(local)) {
      if (!closing) {
        inTitle = true
        titleText = ''
      } else {
        inTitle = false
        const title = titleText.replace(/\s+/g, ' ').trim().replace(/[:.]$/, '')
        if (title && !/^abstract$/i.test(title)) {
          parts.push('\n')
          pendingTitle = title
        }
      }
      continue
    }
    if (BLOCK_ELEMENTS.test(local)) parts.push('\n')
  }
  const text = parts.join('')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n')
  return text.length > 0 ? text : undefined
}

/** OpenAlex-style inverted index ({ word: [positions] }) back to text. */
export function invertedIndexToText(index: Record<string, number[]> | null | undefined): string | undefined {
  if (!index || typeof index !== 'object') return undefined
  const words: string[] = []
  for (const [word, positions] of Object.entries(index)) {
    if (!Array.isArray(positions)) continue
    for (const position of positions) if (Number.isInteger(position) && position >= 0) words[position] = word
  }
  const text = words.filter((w) => w !== undefined).join(' ').trim()
  return text.length > 0 ? text : undefined
}

/** "Family, Given" / "Given Family" display names to an Author. */
export function authorFromDisplayName(name: string | undefined | null): { family: string; given?: string } | undefined {
  const text = name?.replace(/\s+/g, ' ').trim()
  if (!text) return undefined
  if (text.includes(',')) {
    const [family, ...rest] = text.split(',')
    const given = rest.join(',').trim()
    return given ? { family: family.trim(), given } : { family: family.trim() }
  }
  const words = text.split(' ')
  if (words.length === 1) return { family: text }
  const particles = new Set(['van', 'von', 'der', 'den', 'de', 'del', 'della', 'di', 'da', 'dos', 'du', 'la', 'le', 'ten', 'ter'])
  let split = words.length - 1
  while (split > 1 && particles.has(words[split - 1].toLowerCase())) split--
  return { family: words.slice(split).join(' '), given: words.slice(0, split).join(' ') }
}

export function orcidFrom(value: string | undefined | null): string | undefined {
  const match = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/i.exec(value ?? '')
  return match ? match[1].toUpperCase() : undefined
}

/**
 * Runs tasks concurrently, keeping up to `lookahead` started ahead of the
 * consumer, and yields their results in order. The rate limiter paces the
 * actual requests; this only lets them overlap. When the consumer stops
 * early (maxRecords reached) the tasks still running are aborted.
 */
export async function* inOrder<T>(
  tasks: Iterable<(signal: AbortSignal) => Promise<T>>,
  lookahead: number,
  signal?: AbortSignal
): AsyncGenerator<T> {
  const controller = new AbortController()
  const linked = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal
  const iterator = tasks[Symbol.iterator]()
  const pending: Promise<T>[] = []
  const fill = () => {
    while (pending.length < Math.max(1, lookahead)) {
      const next = iterator.next()
      if (next.done) break
      const promise = next.value(linked)
      promise.catch(() => undefined) // observed when its turn comes
      pending.push(promise)
    }
  }
  try {
    fill()
    while (pending.length > 0) {
      const value = await pending.shift()!
      fill()
      yield value
    }
  } finally {
    controller.abort(new Error('search stopped'))
  }
}
