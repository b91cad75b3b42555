/**
 * Tabular exports: CSV (comma or semicolon), TSV and XLSX (first worksheet).
 *
 * One header row, then one reference per row. Column names are matched
 * loosely (case, spaces, underscores and punctuation ignored) against the
 * names used by ASReview, Rayyan, Covidence, Zotero, Scopus, Web of Science,
 * Embase and PubMed exports. CSV is parsed by csv-parse chunk by chunk; XLSX
 * by ./xlsx-reader.ts, within the import limits, so neither holds the whole file.
 */
import { parse as parseCsv } from 'csv-parse'
import type { CsvError, Options as CsvOptions } from 'csv-parse'
import type { FormatInput, ReferenceFormat } from './types.ts'
import type { Author, ImportedLabel, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import { DEFAULT_IMPORT_LIMITS, ImportLimitError } from '../limits.ts'
import { readFirstSheet } from './xlsx-reader.ts'
import { extractSerialNumbers, formatPages, parsePersonName, stripHtml, withoutUndefined } from '../text.ts'
import { parseLabelBlock } from '../label-block.ts'
import { unescapeCsvCell } from '../../export/csv.ts'

// ---------------------------------------------------------------------------
// Column names

type Field =
  | 'title' | 'abstract' | 'authors' | 'year' | 'doi' | 'pmid' | 'pmcid' | 'keywords' | 'journal' | 'journalAbbrev'
  | 'volume' | 'issue' | 'pages' | 'startPage' | 'endPage' | 'issn' | 'isbn' | 'url' | 'language' | 'publisher'
  | 'type' | 'label' | 'embaseSource' | 'openUrl' | 'database' | 'analylit'

/**
 * Column names (normalised: lower case, letters and digits only) per field,
 * in order of preference when a file has several of them. Keywords are
 * gathered from every keyword column present.
 */
const COLUMN_NAMES: Record<Field, string[]> = {
  title: ['title', 'primarytitle', 'ti', 'articletitle', 'documenttitle', 'originaltitle'],
  abstract: ['abstract', 'ab', 'notesabstract', 'abstractnote', 'abstracttext', 'originalabstract'],
  authors: ['authors', 'author', 'au', 'firstauthors', 'authornames', 'authorfullnames', 'authorsfullnames', 'af'],
  year: ['year', 'publicationyear', 'py', 'pubyear', 'yearpublished', 'date', 'publicationdate', 'pubdate'],
  doi: ['doi', 'di', 'digitalobjectidentifier'],
  pmid: ['pmid', 'pubmedid', 'pubmed', 'pm'],
  pmcid: ['pmcid', 'pmc'],
  keywords: ['keywords', 'keyword', 'kw', 'authorkeywords', 'indexkeywords', 'de', 'tags', 'manualtags', 'automatictags'],
  journal: ['journal', 'sourcetitle', 'journalbook', 'publicationtitle', 'journaltitle', 'secondarytitle', 'containertitle', 'so', 't2', 'jo'],
  journalAbbrev: ['journalabbreviation', 'abbreviatedsourcetitle', 'isoabbreviation', 'ji', 'j9', 'ja'],
  volume: ['volume', 'vl', 'vol'],
  issue: ['issue', 'number', 'is'],
  pages: ['pages', 'pagerange', 'pg', 'pp'],
  startPage: ['startpage', 'pagestart', 'sp', 'bp', 'firstpage'],
  endPage: ['endpage', 'pageend', 'ep', 'lastpage'],
  issn: ['issn', 'eissn', 'sn', 'ei'],
  isbn: ['isbn', 'bn'],
  url: ['url', 'link', 'ur'],
  language: ['language', 'languageoforiginaldocument', 'la', 'lang'],
  publisher: ['publisher', 'pb', 'pu'],
  type: ['typeofreference', 'documenttype', 'itemtype', 'publicationtype', 'referencetype', 'ty', 'dt', 'pt'],
  label: ['labelincluded', 'finalincluded', 'finaldecision', 'included', 'label', 'decision', 'include'],
  // Embase: "Endoscopic Ultrasound (2014) 3:3 (152-160). Date of Publication: 2014"; Scopus: "Scopus"
  embaseSource: ['source'],
  database: ['database', 'sourcedatabase', 'databasename', 'librarycatalog', 'db'],
  // Embase: an SFX link carrying "id=doi:…" and "issn=…"
  openUrl: ['openurllink'],
  // AnalyLit exports: the label block (src/references/label-block.ts), also the mark of such a file
  analylit: ['analylit']
}

/** Fields a header must offer for the file to be taken as a reference table. */
const RECOGNISED_FIELDS: Field[] = ['title', 'abstract']

export function normaliseColumnName(name: string): string {
  return name.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
}

interface ColumnMap {
  /** column index per field (keywords may use several) */
  fields: Partial<Record<Field, number[]>>
  /** the header names as written, made unique, for `original` */
  names: string[]
}

function mapColumns(header: string[]): ColumnMap {
  const normalised = header.map(normaliseColumnName)
  const fields: Partial<Record<Field, number[]>> = {}
  for (const [field, aliases] of Object.entries(COLUMN_NAMES) as Array<[Field, string[]]>) {
    const found: number[] = []
    for (const alias of aliases) {
      const index = normalised.indexOf(alias)
      if (index >= 0 && !found.includes(index)) found.push(index)
    }
    if (found.length > 0) fields[field] = field === 'keywords' ? found : [found[0]]
  }
  const names: string[] = []
  for (const raw of header) {
    const base = raw.trim() || `column ${names.length + 1}`
    let name = base
    for (let n = 2; names.includes(name); n++) name = `${base} (${n})`
    names.push(name)
  }
  return { fields, names }
}

function isReferenceHeader(header: string[]): boolean {
  const { fields } = mapColumns(header)
  return RECOGNISED_FIELDS.some((field) => fields[field] !== undefined)
}

// ---------------------------------------------------------------------------
// Rows to records

/** What a row became: a record, nothing (an empty row), or an error message. */
type RowResult = { record: ReferenceRecord } | { skip: true } | { error: string }

function rowToRecord(cells: string[], columns: ColumnMap): RowResult {
  if (cells.every((cell) => cell.trim() === '')) return { skip: true }
  const get = (field: Field): string | undefined => {
    const index = columns.fields[field]?.[0]
    if (index === undefined) return undefined
    const value = cells[index]?.trim()
    return value ? value : undefined
  }
  const original: Record<string, string> = {}
  columns.names.forEach((name, index) => { original[name] = cells[index] ?? '' })
  for (let index = columns.names.length; index < cells.length; index++) original[`column ${index + 1}`] = cells[index]

  const record = emptyRecord(referenceType(get('type')))
  record.original = original
  record.title = cleanText(get('title'))
  record.abstract = cleanAbstract(get('abstract'))
  record.authors = parseAuthorList(get('authors') ?? '')
  record.year = parseYear(get('year'))
  record.doi = normalizeDoi(get('doi'))
  record.pmid = digitsOnlyPmid(get('pmid'))
  record.pmcid = normalizePmcid(get('pmcid'))
  record.journal = get('journal')
  record.journalAbbrev = get('journalAbbrev')
  record.volume = get('volume')
  record.issue = get('issue')
  record.pages = get('pages') ?? formatPages(get('startPage'), get('endPage'))
  const serials = extractSerialNumbers([get('issn') ?? '', get('isbn') ?? ''])
  if (serials.issn.length > 0) record.issn = serials.issn
  if (serials.isbn.length > 0) record.isbn = serials.isbn
  record.url = get('url')
  record.language = get('language')
  record.publisher = get('publisher')
  const keywords: string[] = []
  for (const index of columns.fields.keywords ?? []) {
    for (const keyword of splitList(cells[index] ?? '')) if (!keywords.includes(keyword)) keywords.push(keyword)
  }
  record.keywords = keywords
  record.label = parseLabel(get('label'))
  record.sourceDatabase = get('database')
  const block = get('analylit')
  if (block) record.screening = parseLabelBlock(block)
  applyEmbaseSource(record, get('embaseSource'))
  applyOpenUrl(record, get('openUrl'))

  if (!record.title && !record.abstract && !record.doi && !record.pmid && !record.pmcid) {
    const why = (['doi', 'pmid', 'pmcid'] as const)
      .flatMap((field) => { const value = get(field); return value ? [`${field.toUpperCase()} "${value}" is not valid`] : [] })
      .join(', ')
    return { error: `row has no title, abstract or identifier (DOI, PMID, PMCID)${why ? `: ${why}` : ''}` }
  }
  return { record: withoutUndefined(record) }
}

function cleanText(value: string | undefined): string | undefined {
  if (!value) return undefined
  const text = (/[<&]/.test(value) ? stripHtml(value) : value).replace(/\s+/g, ' ').trim()
  return text.length > 0 ? text : undefined
}

/** Abstracts keep their paragraph breaks; some exports carry HTML (<p>…</p>). */
function cleanAbstract(value: string | undefined): string | undefined {
  if (!value) return undefined
  const text = (/<\/?[a-z][a-z0-9]*[\s/>]/i.test(value) ? stripHtml(value) : value)
    .replace(/\r\n?/g, '\n').replace(/[ \t]+/g, ' ').replace(/\n{3,}/g, '\n\n').trim()
  return text.length > 0 ? text : undefined
}

/** A PMID column holds digits (Excel may add ".0"); anything else is not a PMID. */
function digitsOnlyPmid(value: string | undefined): string | undefined {
  if (!value) return undefined
  const match = /^(?:pmid:?\s*)?(\d{1,9})(?:\.0+)?$/i.exec(value.trim())
  return match ? normalizePmid(match[1]) : undefined
}

const TYPE_WORDS: Array<[RegExp, ReferenceType]> = [
  [/^(jour|ejour|article|journal ?article|journalarticle|j|ar|article in press)$/i, 'article'],
  [/^(review|systematic review|re)$/i, 'review'],
  [/^(book|ebook|edbook|b|bk)$/i, 'book'],
  [/^(chap|echap|book ?chapter|book ?section|booksection|ch)$/i, 'chapter'],
  [/^(conf|cpaper|conference ?paper|conferencepaper|conference ?review|proceedings paper|cp|s)$/i, 'conference-paper'],
  [/^(thes|thesis|dissertation)$/i, 'thesis'],
  [/^(rprt|report)$/i, 'report'],
  [/^(preprint|posted[- ]content)$/i, 'preprint'],
  [/^(data|dataset)$/i, 'dataset'],
  [/^(elec|web ?page|webpage)$/i, 'web'],
  [/^(pat|patent)$/i, 'patent'],
  [/^(news|newspaper ?article|newspaperarticle|mgzn|magazine ?article)$/i, 'news'],
  [/^(letter|le)$/i, 'letter'],
  [/^(editorial|ed)$/i, 'editorial']
]

function referenceType(value: string | undefined): ReferenceType {
  if (!value) return 'article'
  const word = value.trim()
  for (const [pattern, type] of TYPE_WORDS) if (pattern.test(word)) return type
  return 'other'
}

/**
 * Screening decisions: 1/0, yes/no, true/false, include(d)/exclude(d),
 * relevant/irrelevant, maybe/unsure. Empty and ASReview's -1 ("not seen")
 * are no decision.
 */
export function parseLabel(value: string | undefined): ImportedLabel | undefined {
  if (!value) return undefined
  switch (value.trim().toLowerCase()) {
    case '1': case '1.0': case 'yes': case 'y': case 'true': case 'include': case 'included': case 'relevant':
      return 'include'
    case '0': case '0.0': case 'no': case 'n': case 'false': case 'exclude': case 'excluded': case 'irrelevant':
      return 'exclude'
    case 'maybe': case 'unsure': case '?': case '2':
      return 'maybe'
    default:
      return undefined
  }
}

/**
 * Items of a list cell: a Python or JSON list (ASReview writes
 * "['Marx, Karl', 'Lindgren, Astrid']"), else ";"-separated, else
 * ","-separated outside parentheses (Embase: "cyst (diagnosis, surgery), colonoscopy").
 */
export function splitList(cell: string): string[] {
  const text = cell.trim()
  if (!text) return []
  const listed = pythonList(text)
  if (listed) return listed
  const parts = text.includes(';') ? text.split(';') : splitOutsideParentheses(text, ',')
  return parts.map((part) => part.trim()).filter((part) => part.length > 0)
}

function pythonList(text: string): string[] | undefined {
  if (!text.startsWith('[') || !text.endsWith(']')) return undefined
  const items: string[] = []
  const pattern = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*(?:,|$)/gy
  const inner = text.slice(1, -1).trim()
  if (inner === '') return []
  pattern.lastIndex = 0
  while (pattern.lastIndex < inner.length) {
    const match = pattern.exec(inner)
    if (!match) return undefined
    const value = (match[1] ?? match[2]).replace(/\\(.)/g, '$1').trim()
    if (value) items.push(value)
  }
  return items
}

function splitOutsideParentheses(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '(' || c === '[') depth++
    else if ((c === ')' || c === ']') && depth > 0) depth--
    else if (c === separator && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

/** "Liu R." / "Adler D.G." / "Smith JA": a family name followed by initials. */
const FAMILY_INITIALS = /^[\p{L}'’.-]+(?:[ -][\p{L}'’-]+)*\s+(?:\p{Lu}\.?-?){1,4}$/u
/** "J.", "J. A.", "Jean-Paul", "Anna M.": what follows the comma of "Family, Given". */
const GIVEN_NAMES = /^(?:\p{Lu}[\p{L}'’-]*\.?\s*){1,4}$/u

/**
 * Split an authors cell into authors: list syntax, ";" or " and " separate
 * authors; a "," separates authors when every part is "Family Initials"
 * (Embase, Scopus: "Liu R., Adler D.G."), and pairs "Family, Given" when the
 * parts alternate (WoS: "Smith, J, Doe, A"); a single "Family, Given" is one
 * author.
 */
export function parseAuthorList(cell: string): Author[] {
  const text = cell.trim()
  if (!text) return []
  let names: string[]
  const listed = pythonList(text)
  if (listed) names = listed
  else if (text.includes(';')) names = text.split(';')
  else if (/\s+and\s+/i.test(text)) names = text.split(/\s+and\s+/i).flatMap((part, i, all) => (i < all.length - 1 ? splitCommaNames(part) : [part]))
  else names = splitCommaNames(text)
  const authors: Author[] = []
  for (const name of names) {
    const author = parsePersonName(name)
    if (author) authors.push(author)
  }
  return authors
}

function splitCommaNames(text: string): string[] {
  if (!text.includes(',')) return [text]
  const parts = text.split(',').map((part) => part.trim()).filter((part) => part.length > 0)
  if (parts.length > 1 && parts.every((part) => FAMILY_INITIALS.test(part))) return parts
  if (parts.length % 2 === 0 && parts.every((part, i) => i % 2 === 0 || GIVEN_NAMES.test(part))) {
    const pairs: string[] = []
    for (let i = 0; i < parts.length; i += 2) pairs.push(`${parts[i]}, ${parts[i + 1]}`)
    return pairs
  }
  return parts.length === 2 ? [text] : parts
}

const EMBASE_SOURCE = /^(.+?)\s+\((\d{4})\)\s+([^\s:(]+)(?::([^\s(]+))?\s*(?:\(([^)]*)\))?/

function applyEmbaseSource(record: ReferenceRecord, source: string | undefined): void {
  if (!source) return
  // Scopus's CSV names itself in its Source column
  if (/^scopus$/i.test(source.trim())) record.sourceDatabase ??= 'Scopus'
  const match = EMBASE_SOURCE.exec(source)
  if (!match) return
  record.journal ??= match[1].trim()
  record.year ??= parseYear(match[2])
  record.volume ??= match[3]
  if (match[4]) record.issue ??= match[4]
  if (match[5]) record.pages ??= match[5].trim()
}

function applyOpenUrl(record: ReferenceRecord, url: string | undefined): void {
  if (!url) return
  const doi = /[?&]id=doi:([^&]+)/i.exec(url)
  if (doi) record.doi ??= normalizeDoi(safeDecode(doi[1]))
  const pmid = /[?&]id=pmid:(\d+)/i.exec(url)
  if (pmid) record.pmid ??= normalizePmid(pmid[1])
  const issn = /[?&]issn=([\dXx-]{8,9})(?:&|$)/.exec(url)
  if (issn && !record.issn) {
    const found = extractSerialNumbers([issn[1]]).issn
    if (found.length > 0) record.issn = found
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}

// ---------------------------------------------------------------------------
// CSV and TSV

const DELIMITERS = [',', ';', '\t'] as const
type Delimiter = (typeof DELIMITERS)[number]

/** The first line of the text (quoted line breaks included), or undefined while it is incomplete. */
function firstLine(text: string, complete: boolean): string | undefined {
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) quoted = !quoted
    else if (!quoted && (c === 0x0a || c === 0x0d)) return text.slice(0, i)
  }
  return complete ? text : undefined
}

/** The delimiter used most in the header line outside quotes; ties go to `preferred`. */
function detectDelimiter(header: string, preferred: Delimiter): Delimiter {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]))
  let quoted = false
  for (const c of header) {
    if (c === '"') quoted = !quoted
    else if (!quoted && counts.has(c)) counts.set(c, (counts.get(c) ?? 0) + 1)
  }
  let best: Delimiter = preferred
  for (const d of DELIMITERS) if ((counts.get(d) ?? 0) > (counts.get(best) ?? 0)) best = d
  return best
}

function splitHeader(line: string, delimiter: string): string[] {
  const cells: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++ } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === delimiter) { cells.push(cell); cell = '' } else cell += c
  }
  cells.push(cell)
  return cells
}

function sniffDelimited(head: string, accept: (delimiter: Delimiter) => boolean, preferred: Delimiter): boolean {
  const text = head.charCodeAt(0) === 0xfeff ? head.slice(1) : head
  if (/^\s*[[{<@]/.test(text)) return false
  const line = firstLine(text, true)
  if (!line || line.trim() === '') return false
  const delimiter = detectDelimiter(line, preferred)
  return accept(delimiter) && isReferenceHeader(splitHeader(line, delimiter))
}

/** Largest CSV record accepted: bounds memory when a quote is never closed. */
const MAX_RECORD_CHARS = 16 * 1024 * 1024

async function* parseDelimited(input: FormatInput, preferred: Delimiter): AsyncGenerator<ParsedItem> {
  const source = input.text()[Symbol.asyncIterator]()
  // read until the header line is complete to choose the delimiter
  let buffered = ''
  let header: string | undefined
  while (header === undefined) {
    const next = await source.next()
    if (next.done) {
      header = firstLine(buffered, true) ?? ''
      break
    }
    buffered += next.value
    header = firstLine(buffered, false)
  }
  const delimiter = detectDelimiter(header, preferred)

  type Event = { kind: 'row'; cells: string[]; line: number } | { kind: 'skip'; message: string; line: number }
  let events: Event[] = []
  let lastSkipLine = -1
  let rows = 0
  let lastRowLine = 1
  let fatal: Error | undefined
  const options: CsvOptions = {
    delimiter,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: MAX_RECORD_CHARS,
    info: true,
    raw: true,
    // with `info` and `raw`, csv-parse hands over { record, raw, info }; records are taken here, in order with skips
    on_record: (wrapped: unknown) => {
      const row = wrapped as { record: string[]; raw: string; info: { lines: number } }
      events.push({ kind: 'row', cells: row.record, line: startLine(row.raw, row.info.lines) })
      lastRowLine = row.info.lines
      rows++
      return null
    },
    on_skip: (error: CsvError | undefined, raw: string | undefined) => {
      const endLine = (error as { lines?: number } | undefined)?.lines ?? 0
      const line = raw ? startLine(raw, endLine) : endLine
      // csv-parse may report the same broken record more than once
      if (line !== lastSkipLine) events.push({ kind: 'skip', message: error?.message ?? 'unreadable row', line })
      lastSkipLine = line
      return undefined
    }
  }
  const parser = parseCsv(options)
  parser.on('error', (error: Error) => { fatal = error })
  parser.resume()
  const write = (chunk: string): Promise<void> => new Promise((resolve) => {
    if (!parser.write(chunk)) parser.once('drain', resolve)
    else process.nextTick(resolve)
  })
  const finished = new Promise<void>((resolve) => {
    parser.once('finish', resolve)
    parser.once('error', () => resolve())
  })

  let columns: ColumnMap | undefined
  let index = 0
  const limits = input.limits ?? DEFAULT_IMPORT_LIMITS
  let cellCount = 0
  const drain = function* (): Generator<ParsedItem> {
    const batch = events
    events = []
    for (const event of batch) {
      if (event.kind === 'skip') {
        yield { kind: 'error', message: `row could not be read: ${event.message}`, position: { line: event.line, index: index++ } }
        continue
      }
      cellCount += event.cells.length
      if (cellCount > limits.maxCells) throw ImportLimitError.cells(limits)
      const long = event.cells.findIndex((cell) => cell.length > limits.maxCellChars)
      if (long >= 0) throw ImportLimitError.cellChars(limits, `cell ${long + 1} of line ${event.line}`)
      if (!columns) {
        columns = mapColumns(event.cells)
        if (!RECOGNISED_FIELDS.some((field) => columns?.fields[field])) {
          throw new Error(`not a reference table: no title or abstract column among ${event.cells.map((c) => `"${c}"`).join(', ')}`)
        }
        continue
      }
      // An AnalyLit export quoted the cells a spreadsheet would run as formulas (src/export/csv.ts): undo it, in such files only.
      const cells = columns.fields.analylit ? event.cells.map(unescapeCsvCell) : event.cells
      const item = rowItem(cells, columns, event.line, index)
      if (item) {
        index++
        yield item
      }
    }
  }

  try {
    if (buffered) await write(buffered)
    yield* drain()
    // Text read since the last complete row: csv-parse gives up on a record past MAX_RECORD_CHARS but
    // then reads the rest of an unclosed quote, slowly and holding it; an upload is refused once no row
    // came in the room of four cells at IMPORT_MAX_CELL_CHARS.
    const noRowChars = Math.min(MAX_RECORD_CHARS, 4 * limits.maxCellChars)
    let sinceRow = 0
    while (!fatal) {
      const next = await source.next()
      if (next.done) break
      const before = rows
      await write(next.value)
      sinceRow = rows === before ? sinceRow + next.value.length : 0
      if (sinceRow > noRowChars) throw ImportLimitError.record(noRowChars, lastRowLine)
      yield* drain()
    }
    if (!fatal) {
      parser.end()
      await finished
    }
    yield* drain()
    if (fatal) {
      yield { kind: 'error', message: `the rest of the file could not be read: ${(fatal as Error).message}`, position: { line: (fatal as { lines?: number }).lines, index: index++ } }
    }
  } finally {
    if (!parser.destroyed) parser.destroy()
    await source.return?.()
  }
}

/** The item of a data row; undefined for an empty row, which is no reference and takes no index. */
function rowItem(cells: string[], columns: ColumnMap, line: number, index: number): ParsedItem | undefined {
  const result = rowToRecord(cells, columns)
  if ('skip' in result) return undefined
  if ('error' in result) return { kind: 'error', message: result.error, position: { line, index } }
  return { kind: 'record', record: result.record, position: { line, index } }
}

/** csv-parse reports the line a record ends on; count back over the line breaks inside it. */
function startLine(raw: string, endLine: number): number {
  const content = raw.replace(/^(?:\r\n|\r|\n)+/, '').replace(/(?:\r\n|\r|\n)$/, '')
  const breaks = content.match(/\r\n|\r|\n/g)?.length ?? 0
  return endLine - breaks
}

export const csvFormat: ReferenceFormat = {
  id: 'csv',
  label: 'CSV',
  extensions: ['csv', 'txt'],
  sniff(head) {
    return sniffDelimited(head, (delimiter) => delimiter !== '\t', ',')
  },
  parse(input) {
    return parseDelimited(input, ',')
  }
}

export const tsvFormat: ReferenceFormat = {
  id: 'tsv',
  label: 'TSV',
  extensions: ['tsv', 'tab', 'txt'],
  sniff(head) {
    return sniffDelimited(head, (delimiter) => delimiter === '\t', '\t')
  },
  parse(input) {
    return parseDelimited(input, '\t')
  }
}

// ---------------------------------------------------------------------------
// XLSX

async function* parseXlsx(input: FormatInput): AsyncGenerator<ParsedItem> {
  let columns: ColumnMap | undefined
  let index = 0
  for await (const row of readFirstSheet(input, input.limits ?? DEFAULT_IMPORT_LIMITS)) {
    const cells = row.cells
    if (!columns) {
      if (cells.every((cell) => cell.trim() === '')) continue
      columns = mapColumns(cells)
      if (!RECOGNISED_FIELDS.some((field) => columns?.fields[field])) {
        throw new Error('not a reference table: no title or abstract column in the first row of the first worksheet')
      }
      continue
    }
    const item = rowItem(cells, columns, row.number, index)
    if (item) {
      index++
      yield item
    }
  }
  if (!columns) throw new Error('not a reference table: the first worksheet is empty')
}

export const xlsxFormat: ReferenceFormat = {
  id: 'xlsx',
  label: 'Excel workbook (XLSX)',
  extensions: ['xlsx'],
  sniff(head, fileName) {
    return head.startsWith('PK\u0003\u0004') && (head.includes('xl/') || /\.xlsx$/i.test(fileName ?? ''))
  },
  parse(input) {
    return parseXlsx(input)
  }
}
