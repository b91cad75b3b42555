/**
 * CSL-JSON (Citation Style Language data), as exported by Zotero, Better
 * BibTeX, Mendeley, Paperpile and citation.js: a JSON array of item objects.
 *
 * The array is split element by element while streaming (a small scanner that
 * tracks strings, escapes and bracket depth) and each element is handed to
 * JSON.parse, so only one item is in memory at a time and a broken item is
 * reported on its own.
 */
import type { ReferenceFormat } from './types.ts'
import type { Author, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import { extractSerialNumbers, labelFromNotes, stripHtml, withoutUndefined } from '../text.ts'
import { DEFAULT_IMPORT_LIMITS, ImportLimitError, type ImportLimits } from '../limits.ts'

export const cslJsonFormat: ReferenceFormat = {
  id: 'csl-json',
  label: 'CSL-JSON',
  extensions: ['json'],
  sniff(head) {
    // a JSON array whose first object carries CSL's "type" with an "id" or "title"
    if (!/^\s*\[\s*\{/.test(head)) return false
    const first = head.slice(0, 20_000)
    return /"type"\s*:\s*"[a-z_-]+"/.test(first) && /"(?:id|title)"\s*:/.test(first)
  },
  parse(input) {
    return parseCslJson(input.text(), input.limits)
  }
}

async function* parseCslJson(chunks: AsyncIterable<string>, limits?: ImportLimits): AsyncGenerator<ParsedItem> {
  let index = 0
  for await (const element of jsonArrayElements(chunks, limits)) {
    const position = { line: element.line, index: index++ }
    if ('error' in element) {
      yield { kind: 'error', message: element.error, position }
      continue
    }
    let item: unknown
    try {
      item = JSON.parse(element.text)
    } catch (error) {
      yield { kind: 'error', message: `invalid JSON in item: ${(error as Error).message}`, position }
      continue
    }
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      yield { kind: 'error', message: 'array element is not a CSL item object', position }
      continue
    }
    const record = cslItemToRecord(item as CslItem)
    if (!record.title && !record.abstract && !record.doi && !record.pmid && !record.pmcid) {
      yield { kind: 'error', message: `item${typeof (item as CslItem).id === 'string' ? ` "${(item as CslItem).id}"` : ''} has no title, abstract or identifier`, position }
      continue
    }
    yield { kind: 'record', record, position }
  }
}

// ---------------------------------------------------------------------------
// Streaming array splitter

type ArrayElement = { text: string; line: number } | { error: string; line: number }

const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d
const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, NEWLINE = 0x0a

function isJsonSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

/**
 * The source text of each element of a top-level JSON array, with the line it
 * starts on. Throws when the text does not start with "[", and as soon as one
 * element is longer than IMPORT_MAX_RECORD_CHARS.
 */
export async function* jsonArrayElements(chunks: AsyncIterable<string>, limits = DEFAULT_IMPORT_LIMITS): AsyncGenerator<ArrayElement> {
  const checkSize = (chars: number): void => {
    if (chars > limits.maxRecordChars) throw ImportLimitError.recordChars(limits, `the item starting on line ${elementLine}`)
  }
  /** the element read so far: its pieces from earlier chunks, and this one's from `start` to `end` */
  const element = (end: number): { text: string; line: number } => {
    checkSize(held + end - start)
    parts.push(chunk.slice(start, end))
    const text = parts.join('')
    parts = []
    held = 0
    return { text, line: elementLine }
  }
  let chunk = ''
  let start = 0
  let held = 0
  let line = 1
  let state: 'before' | 'between' | 'element' | 'after' = 'before'
  let depth = 0
  let inString = false
  let escaped = false
  let parts: string[] = []
  let elementLine = 0
  let trailingReported = false

  for await (chunk of chunks) {
    start = 0
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i)
      if (code === NEWLINE) line++
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false
          else if (code === BACKSLASH) escaped = true
          else if (code === QUOTE) inString = false
          continue
        }
        if (code === QUOTE) inString = true
        else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth++
        else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
          if (depth === 0) {
            // "]" closing the array right after a bare value
            yield element(i)
            state = 'after'
            continue
          }
          depth--
          if (depth === 0) {
            yield element(i + 1)
            state = 'between'
          }
        } else if (code === COMMA && depth === 0) {
          // end of a bare value (number, string, literal) at array level
          yield element(i)
          state = 'between'
        }
        continue
      }
      if (isJsonSpace(code)) continue
      if (state === 'before') {
        if (code !== OPEN_BRACKET) throw new Error('not a CSL-JSON file: the content is not a JSON array')
        state = 'between'
      } else if (state === 'between') {
        if (code === COMMA) continue
        if (code === CLOSE_BRACKET) {
          state = 'after'
          continue
        }
        state = 'element'
        elementLine = line
        start = i
        depth = 0
        inString = false
        escaped = false
        if (code === QUOTE) inString = true
        else if (code === OPEN_BRACE || code === OPEN_BRACKET) depth = 1
      } else if (state === 'after' && !trailingReported) {
        trailingReported = true
        yield { error: 'unexpected content after the end of the array', line }
      }
    }
    if (state === 'element') {
      held += chunk.length - start
      checkSize(held)
      parts.push(chunk.slice(start))
    }
  }
  if (state === 'before') throw new Error('not a CSL-JSON file: the input is empty')
  if (state === 'element') {
    yield { error: `item starting on line ${elementLine} is cut short: unexpected end of file`, line: elementLine }
  } else if (state === 'between') {
    yield { error: 'the array is not closed: unexpected end of file', line }
  }
}

// ---------------------------------------------------------------------------
// Mapping

interface CslName {
  family?: string
  given?: string
  literal?: string
  'non-dropping-particle'?: string
  'dropping-particle'?: string
  suffix?: string
}

interface CslDate {
  'date-parts'?: Array<Array<string | number>>
  raw?: string
  literal?: string
  season?: string | number
}

type CslValue = string | number | undefined

interface CslItem {
  id?: string | number
  type?: string
  title?: string
  abstract?: string
  author?: CslName[]
  issued?: CslDate | string
  'container-title'?: string
  'container-title-short'?: string
  journalAbbreviation?: string
  volume?: CslValue
  issue?: CslValue
  page?: CslValue
  number?: CslValue
  DOI?: string
  PMID?: CslValue
  PMCID?: string
  URL?: string
  ISSN?: string | string[]
  ISBN?: string | string[]
  language?: string
  keyword?: string | string[]
  note?: string
  publisher?: string
  source?: string
  archive?: string
  genre?: string
}

/** CSL item types; the ones not listed are 'other'. */
const CSL_TYPES: Record<string, ReferenceType> = {
  article: 'article',
  'article-journal': 'article',
  'article-magazine': 'article',
  'article-newspaper': 'news',
  book: 'book',
  chapter: 'chapter',
  'entry-encyclopedia': 'chapter',
  'entry-dictionary': 'chapter',
  entry: 'chapter',
  'paper-conference': 'conference-paper',
  speech: 'conference-paper',
  thesis: 'thesis',
  report: 'report',
  standard: 'report',
  webpage: 'web',
  'post-weblog': 'web',
  post: 'web',
  patent: 'patent',
  dataset: 'dataset',
  review: 'review',
  'review-book': 'review',
  letter: 'letter',
  personal_communication: 'letter',
  interview: 'other',
  manuscript: 'other'
}

export function cslItemToRecord(item: CslItem): ReferenceRecord {
  const record = emptyRecord(CSL_TYPES[String(item.type ?? 'article')] ?? 'other')
  record.original = item
  record.title = cleanText(item.title)
  record.abstract = cleanAbstract(item.abstract)
  record.authors = (Array.isArray(item.author) ? item.author : []).map(cslName).filter((author): author is Author => author !== undefined)
  record.year = issuedYear(item.issued)
  record.journal = cleanText(item['container-title'])
  record.journalAbbrev = cleanText(item['container-title-short']) ?? cleanText(item.journalAbbreviation)
  record.volume = scalar(item.volume)
  record.issue = scalar(item.issue)
  record.pages = scalar(item.page)
  record.doi = normalizeDoi(scalar(item.DOI))
  record.pmid = normalizePmid(scalar(item.PMID))
  record.pmcid = normalizePmcid(scalar(item.PMCID))
  record.url = scalar(item.URL)
  const issn = extractSerialNumbers(list(item.ISSN)).issn
  if (issn.length > 0) record.issn = issn
  const isbn = extractSerialNumbers(list(item.ISBN)).isbn
  if (isbn.length > 0) record.isbn = isbn
  record.language = scalar(item.language)
  record.keywords = keywords(item.keyword)
  record.publisher = scalar(item.publisher)
  record.sourceDatabase = scalar(item.source)

  const remainingNote = applyNote(record, scalar(item.note))
  if (remainingNote) record.notes.push(remainingNote)
  record.label = labelFromNotes(record.notes)

  const looksArxiv = /arxiv/i.test(`${item.publisher ?? ''} ${item['container-title'] ?? ''} ${item.archive ?? ''} ${item.URL ?? ''}`)
  if (looksArxiv || record.doi?.startsWith('10.48550/arxiv.')) {
    record.arxivId ??= normalizeArxivId(scalar(item.number)) ?? normalizeArxivId(item.URL) ??
      normalizeArxivId(record.doi?.replace(/^10\.48550\/arxiv\./, ''))
    // an arXiv item without a journal (or whose "journal" is arXiv itself) is a preprint
    if (record.arxivId && record.type === 'article' && (!record.journal || /arxiv/i.test(record.journal))) record.type = 'preprint'
  }
  return withoutUndefined(record)
}

function scalar(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value)
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  return text.length > 0 ? text : undefined
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(scalar).filter((entry): entry is string => entry !== undefined)
  const text = scalar(value)
  return text ? [text] : []
}

/** CSL allows a little HTML-like markup in titles (<i>, <b>, <sup>…). */
function cleanText(value: unknown): string | undefined {
  const text = scalar(value)
  if (!text) return undefined
  const plain = (text.includes('<') || text.includes('&') ? stripHtml(text) : text).replace(/\s+/g, ' ').trim()
  return plain.length > 0 ? plain : undefined
}

function cleanAbstract(value: unknown): string | undefined {
  const text = scalar(value)
  if (!text) return undefined
  const plain = /<\/?(p|i|b|sup|sub|br|em|strong)\b/i.test(text) ? stripHtml(text) : text
  return plain.replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').trim() || undefined
}

function cslName(name: CslName | undefined): Author | undefined {
  if (!name || typeof name !== 'object') return undefined
  const literal = scalar(name.literal)
  if (literal) return { family: literal, literal: true }
  const family = [scalar(name['non-dropping-particle']), scalar(name.family)].filter(Boolean).join(' ')
  const given = [scalar(name.given), scalar(name['dropping-particle'])].filter(Boolean).join(' ')
  if (!family) return given ? { family: given } : undefined
  return given ? { family, given } : { family }
}

function issuedYear(issued: CslDate | string | undefined): number | undefined {
  if (!issued) return undefined
  if (typeof issued === 'string' || typeof issued === 'number') return parseYear(issued)
  const first = issued['date-parts']?.[0]?.[0]
  return parseYear(first === undefined ? undefined : String(first)) ?? parseYear(issued.raw) ?? parseYear(issued.literal)
}

function keywords(value: string | string[] | undefined): string[] {
  const entries = Array.isArray(value) ? value : typeof value === 'string' ? value.split(/\s*[,;]\s*/) : []
  const result: string[] = []
  for (const entry of entries) {
    const keyword = scalar(entry)
    if (keyword && !result.includes(keyword)) result.push(keyword)
  }
  return result
}

/**
 * Zotero keeps identifiers it has no CSL field for in "Extra", exported as
 * `note` lines such as "PMID: 123", "PMCID: PMC456", "DOI: …", "arXiv: …".
 * They fill the record's identifiers; what is left is a real note.
 */
function applyNote(record: ReferenceRecord, note: string | undefined): string | undefined {
  if (!note) return undefined
  const kept: string[] = []
  for (const line of note.split(/\r\n|\r|\n/)) {
    const field = /^\s*(PMID|PMCID|DOI|arXiv(?: ID)?)\s*:\s*(.+?)\s*$/i.exec(line)
    if (field) {
      const name = field[1].toLowerCase()
      if (name === 'pmid') record.pmid ??= normalizePmid(field[2])
      else if (name === 'pmcid') record.pmcid ??= normalizePmcid(field[2])
      else if (name === 'doi') record.doi ??= normalizeDoi(field[2])
      else record.arxivId ??= normalizeArxivId(field[2])
      continue
    }
    kept.push(line)
  }
  const rest = stripHtml(kept.join('\n')).trim()
  return rest.length > 0 ? rest : undefined
}
