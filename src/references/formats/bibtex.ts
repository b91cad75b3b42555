/**
 * BibTeX and BibLaTeX (.bib from JabRef, Zotero/Better BibTeX, Mendeley,
 * Google Scholar, publishers). The input is cut into entries at top-level
 * "@type{" boundaries here (brace-balanced, streaming, so memory is bounded
 * by the largest entry). Each entry's fields without real LaTeX (plain text,
 * escapes, accents, simple text commands) are read by bibtex-plain.ts, which
 * gives what the library would give; the others (math, formatting commands,
 * @string macros, concatenations) are handed to @retorquere/bibtex-parser with
 * the @string macros seen so far.
 *
 * An entry whose braces do not balance is cut where the next line starting
 * with "@type{" begins, and reported as an error item with its line.
 */
import type { Creator, Entry, Library, Options as BibtexOptions, parse as parseBibtexLibrary } from '@retorquere/bibtex-parser'
import type { Author, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import {
  collapseSpaces, extractSerialNumbers, formatPages, identifiersInUrl, labelFromNotes, stripHtml, withoutUndefined
} from '../text.ts'
import type { FormatInput, ReferenceFormat } from './types.ts'
import { DEFAULT_IMPORT_LIMITS, ImportLimitError, type ImportLimits } from '../limits.ts'
import { readPlainFields, scanBibtexEntry } from './bibtex-plain.ts'

/** One top-level unit cut from the input: an entry, @string, @preamble or @comment. */
export interface BibtexChunk {
  /** Entry type in lower case ("article", "string", "comment"…). */
  type: string
  text: string
  /** 1-based line where the "@" stands. */
  line: number
  /** False when the entry's braces never closed (cut at the next entry or at the end of the input). */
  complete: boolean
}

const ENTRY_HEAD = /^@[ \t]*([a-zA-Z][\w-]*)[ \t\r\n]*([{(])/
/** Characters kept in the buffer ahead of the scan position so an "@type{" head is always seen whole. */
const LOOKAHEAD = 96

/**
 * Cuts streamed BibTeX text into top-level units. Text outside entries is a
 * comment in BibTeX and is skipped. An entry (closed or not) longer than
 * IMPORT_MAX_RECORD_CHARS is refused as soon as it is, so memory stays bounded.
 */
export class BibtexSplitter {
  constructor(private readonly limits: ImportLimits = DEFAULT_IMPORT_LIMITS) {}

  readonly chunks: BibtexChunk[] = []
  private buffer = ''
  private position = 0
  private start = -1
  private depth = 0
  private delimiter: '{' | '(' = '{'
  private inQuote = false
  private type = ''
  private line = 1
  private entryLine = 1
  private atLineStart = true
  private afterCr = false

  feed(text: string, final = false): void {
    this.buffer = this.buffer.length > 0 ? this.buffer + text : text
    const buffer = this.buffer
    const limit = final ? buffer.length : buffer.length - LOOKAHEAD
    let i = this.position
    for (; i < limit; i++) {
      const code = buffer.charCodeAt(i)
      if (code === 13 || code === 10) {
        if (code === 13 || !this.afterCr) this.line++
        this.afterCr = code === 13
        this.atLineStart = true
        continue
      }
      this.afterCr = false
      if (code === 32 || code === 9) continue
      const lineStart = this.atLineStart
      this.atLineStart = false

      if (this.start < 0) {
        if (code === 64 /* @ */) i = this.open(buffer, i)
        continue
      }
      this.checkSize(i)
      if (code === 64 && lineStart && ENTRY_HEAD.test(buffer.slice(i, i + LOOKAHEAD))) {
        // a new entry starts at the beginning of a line while this one is still open: its braces were unbalanced
        this.emit(buffer.slice(this.start, i), false)
        i = this.open(buffer, i)
        continue
      }
      if (code === 123 /* { */) {
        this.depth++
      } else if (code === 125 /* } */) {
        this.depth--
        if (this.delimiter === '{' && this.depth === 0) {
          this.emit(buffer.slice(this.start, i + 1), true)
        }
      } else if (this.delimiter === '(' && this.depth === 0) {
        if (code === 34 /* " */) this.inQuote = !this.inQuote
        else if (code === 41 /* ) */ && !this.inQuote) this.emit(buffer.slice(this.start, i + 1), true)
      }
    }
    this.checkSize(i) // white space is skipped above without it
    if (final) {
      if (this.start >= 0) this.emit(buffer.slice(this.start), false)
      this.buffer = ''
      this.position = 0
      return
    }
    const keepFrom = this.start >= 0 ? this.start : i
    this.buffer = buffer.slice(keepFrom)
    this.position = i - keepFrom
    if (this.start >= 0) this.start = 0
  }

  /** Refuses the open entry once it reaches past IMPORT_MAX_RECORD_CHARS at `at`. */
  private checkSize(at: number): void {
    if (this.start >= 0 && at - this.start > this.limits.maxRecordChars) {
      throw ImportLimitError.recordChars(this.limits, `the @${this.type} entry at line ${this.entryLine}`)
    }
  }

  /** Start an entry at `at` if an entry head stands there; returns the index of the opening delimiter. */
  private open(buffer: string, at: number): number {
    const head = ENTRY_HEAD.exec(buffer.slice(at, at + LOOKAHEAD))
    if (!head) return at
    this.start = at
    this.entryLine = this.line
    this.type = head[1].toLowerCase()
    this.delimiter = head[2] as '{' | '('
    this.depth = this.delimiter === '{' ? 1 : 0
    this.inQuote = false
    const delimiterAt = at + head[0].length - 1
    // the head may span line breaks ("@article\n{"): keep the line count right
    for (let k = at; k < delimiterAt; k++) {
      const code = buffer.charCodeAt(k)
      if (code === 13 || (code === 10 && buffer.charCodeAt(k - 1) !== 13)) this.line++
    }
    return delimiterAt
  }

  private emit(text: string, complete: boolean): void {
    this.chunks.push({ type: this.type, text, line: this.entryLine, complete })
    this.start = -1
    this.depth = 0
  }
}

const LIBRARY_OPTIONS: BibtexOptions = {
  sentenceCase: false,
  english: false,
  caseProtection: false,
  unsupported: 'ignore',
  applyCrossRef: false
}

/**
 * Parse one entry with the macros defined so far. Fields without real LaTeX
 * are read by bibtex-plain.ts and only the others go through the library,
 * which converts LaTeX slowly; an entry bibtex-plain.ts cannot scan goes to
 * the library whole.
 */
function parseEntry(converter: LatexConverter, original: string, macros: Record<string, string>): Library {
  // A CRLF is one line break (the LaTeX parser would count two, a paragraph), so a file reads the
  // same whatever its line endings; `input` keeps the entry as written.
  const text = original.includes('\r') ? original.replace(/\r\n?/g, '\n') : original
  const scanned = scanBibtexEntry(text)
  if (!scanned) {
    const library = parseWithLibrary(converter, text, macros)
    for (const entry of library.entries) entry.input = original
    return library
  }

  const { read, left } = readPlainFields(scanned)

  let library: Library
  if (left.length === 0) {
    library = { errors: [], entries: [], comments: [], strings: {}, preamble: [], jabref: { root: [], groups: {} } }
    library.entries.push({ type: scanned.type, key: scanned.key, fields: {}, mode: {}, input: original })
  } else {
    const rest = `@${scanned.type}{${scanned.key},\n${left.map((field) => `${field.name} = ${field.source}`).join(',\n')}\n}`
    library = parseWithLibrary(converter, rest, macros)
  }
  const entry = library.entries[0]
  if (entry) {
    // the fields in the order they were written, keywords last (as the library orders them)
    const converted = entry.fields as Record<string, unknown>
    const fields: Record<string, unknown> = {}
    for (const { name } of scanned.fields) {
      const value = read.get(name) ?? converted[name]
      if (value !== undefined && name !== 'keywords') fields[name] = value
    }
    const keywords = read.get('keywords') ?? converted.keywords
    if (keywords !== undefined) fields.keywords = keywords
    entry.fields = fields as Entry['fields']
    entry.input = original
  }
  return library
}

/**
 * The library's reading of an entry. BibTeX itself only warns about an
 * undefined macro (journal = jmir without @string{jmir=…}); here the macro's
 * name stands in for its text so the record is not lost.
 */
function parseWithLibrary(converter: LatexConverter, text: string, macros: Record<string, string>): Library {
  if (!converter.parse) throw new ConverterNotLoaded()
  const strings = { ...macros }
  for (let attempt = 0; ; attempt++) {
    const library = converter.parse(text, { ...LIBRARY_OPTIONS, strings })
    const unresolved = library.errors.length > 0 && /Unresolved @string reference "([^"]+)"/.exec(library.errors[0].error)
    if (!unresolved || attempt >= 8) return library
    strings[unresolved[1]] = unresolved[1]
  }
}

/**
 * The library, loaded the first time an entry needs it: it is large (it
 * carries unified-latex and Unicode tables) and files of plain entries never do.
 */
interface LatexConverter {
  parse?: typeof parseBibtexLibrary
}

class ConverterNotLoaded extends Error {}

/** Stream the records of a BibTeX/BibLaTeX input. */
export async function* parseBibtex(input: FormatInput): AsyncGenerator<ParsedItem> {
  const converter: LatexConverter = {}
  const splitter = new BibtexSplitter(input.limits)
  const macros: Record<string, string> = {}
  let index = 0

  async function read(text: string): Promise<Library> {
    try {
      return parseEntry(converter, text, macros)
    } catch (error) {
      if (!(error instanceof ConverterNotLoaded)) throw error
      converter.parse = (await import('@retorquere/bibtex-parser')).parse
      return parseEntry(converter, text, macros)
    }
  }

  async function* convert(chunks: BibtexChunk[]): AsyncGenerator<ParsedItem> {
    for (const chunk of chunks) {
      if (chunk.type === 'comment' || chunk.type === 'preamble') continue
      const position = { line: chunk.line, index }
      if (!chunk.complete) {
        index++
        yield {
          kind: 'error',
          message: `The @${chunk.type} entry at line ${chunk.line} is not closed (its braces do not balance); it was not imported.`,
          position
        }
        continue
      }
      let library: Library
      try {
        library = await read(chunk.text)
      } catch (error) {
        index++
        yield { kind: 'error', message: `The @${chunk.type} entry at line ${chunk.line} cannot be read: ${(error as Error).message}`, position }
        continue
      }
      if (chunk.type === 'string') {
        Object.assign(macros, library.strings)
        if (library.errors.length > 0) {
          index++
          yield { kind: 'error', message: `The @string definition at line ${chunk.line} cannot be read: ${library.errors[0].error}`, position }
        }
        continue
      }
      index++
      const entry = library.entries[0]
      if (library.errors.length > 0 || !entry) {
        const reason = library.errors[0]?.error ?? 'no entry found'
        yield { kind: 'error', message: `The @${chunk.type} entry at line ${chunk.line} cannot be read: ${reason}`, position }
        continue
      }
      yield { kind: 'record', record: bibtexToRecord(entry), position }
    }
  }

  for await (const text of input.text()) {
    splitter.feed(text)
    if (splitter.chunks.length > 0) yield* convert(splitter.chunks.splice(0))
  }
  splitter.feed('', true)
  yield* convert(splitter.chunks.splice(0))
}

/** BibTeX/BibLaTeX entry types mapped to the model's vocabulary. */
const BIBTEX_TYPES: Readonly<Record<string, ReferenceType>> = {
  article: 'article', periodical: 'article', suppperiodical: 'article',
  book: 'book', mvbook: 'book', booklet: 'book', collection: 'book', mvcollection: 'book', proceedings: 'book',
  mvproceedings: 'book', reference: 'book', mvreference: 'book',
  inbook: 'chapter', incollection: 'chapter', bookinbook: 'chapter', suppbook: 'chapter', suppcollection: 'chapter',
  inreference: 'chapter',
  inproceedings: 'conference-paper', conference: 'conference-paper',
  phdthesis: 'thesis', mastersthesis: 'thesis', thesis: 'thesis',
  techreport: 'report', report: 'report', manual: 'report',
  unpublished: 'preprint', online: 'web', electronic: 'web', www: 'web',
  dataset: 'dataset', data: 'dataset', patent: 'patent', software: 'other', misc: 'other'
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const cleaned = value.trim()
    return cleaned.length > 0 ? cleaned : undefined
  }
  if (Array.isArray(value)) {
    const joined = value.filter((item) => typeof item === 'string' && item.trim().length > 0).join('; ')
    return joined.length > 0 ? joined : undefined
  }
  return undefined
}

/** Rich text from the library (titles, notes) carries <i>, <sup>… markup; the model keeps plain text. */
function plain(value: unknown): string | undefined {
  const raw = text(value)
  if (!raw) return undefined
  return collapseSpaces(stripHtml(raw).normalize('NFC').replace(/ı\u0301/g, 'í').replace(/ı\u0300/g, 'ì'))
}

function creatorToAuthor(creator: Creator): Author | undefined {
  if (creator.name) {
    const name = plain(creator.name)
    return name ? { family: name, literal: true } : undefined
  }
  const family = plain([creator.prefix, creator.lastName].filter(Boolean).join(' '))
  const given = plain([creator.firstName, creator.suffix].filter(Boolean).join(', '))
  if (!family) return given ? { family: given } : undefined
  return given ? { family, given } : { family }
}

const ESCAPED_COLON = '\u0001'
const ESCAPED_SEMICOLON = '\u0002'

/** Paths from a `file` field: JabRef/Mendeley "Description:path:type;…" or Better BibTeX plain paths. */
function attachmentPaths(field: string): string[] {
  const paths: string[] = []
  const protectedField = field.replace(/\\:/g, ESCAPED_COLON).replace(/\\;/g, ESCAPED_SEMICOLON)
  for (const item of protectedField.split(';')) {
    const parts = item.split(':')
    // "Description:path:mime" has three parts; a Windows drive letter adds one ("C:\…")
    let path = parts.length >= 3 ? parts.slice(1, -1).join(':') : item
    if (parts.length === 2 && /^[a-z][a-z0-9+.-]*$/i.test(parts[0])) path = item // a URL or "C:\path"
    path = path.split(ESCAPED_COLON).join(':').split(ESCAPED_SEMICOLON).join(';').trim()
    if (path.length > 0) paths.push(path)
  }
  return paths
}

/** Map one parsed BibTeX entry to the normalised model. */
export function bibtexToRecord(entry: Entry): ReferenceRecord {
  const fields = entry.fields as Record<string, unknown>
  const entryType = entry.type.toLowerCase()
  const field = (name: string) => text(fields[name])

  const eprintType = (field('eprinttype') ?? field('archiveprefix') ?? '').toLowerCase()
  let type: ReferenceType = BIBTEX_TYPES[entryType] ?? 'other'
  const entrySubtype = (field('entrysubtype') ?? '').toLowerCase()
  if (type === 'article' && /newspaper|magazine/.test(entrySubtype)) type = entrySubtype === 'newspaper' ? 'news' : 'article'
  if ((type === 'other' || type === 'preprint' || type === 'article') && eprintType === 'arxiv' && !field('journal') && !field('journaltitle')) {
    type = 'preprint'
  }
  if (type === 'other' && field('url') && !field('publisher') && entryType === 'misc' && field('howpublished')?.match(/^\\?url|^http/i)) {
    type = 'web'
  }

  const record = emptyRecord(type)
  record.original = { entryType: entry.type, key: entry.key, fields: entry.fields, input: entry.input }

  record.title = plain(fields.title)
  record.abstract = plain(fields.abstract)
  const creators = (fields.author ?? (type === 'book' ? fields.editor : undefined)) as Creator[] | undefined
  if (Array.isArray(creators)) {
    for (const creator of creators) {
      const author = creatorToAuthor(creator)
      if (author) record.authors.push(author)
    }
  }

  record.year = parseYear(field('year')) ?? parseYear(field('date')) ?? parseYear(field('issued'))
  const journal = plain(fields.journaltitle ?? fields.journal ?? fields.booktitle ?? fields.eventtitle)
  if (journal) record.journal = journal
  const abbreviation = plain(fields.shortjournal ?? fields.journalabbrev ?? fields['journal-iso'])
  if (abbreviation) record.journalAbbrev = abbreviation
  record.volume = field('volume')
  record.issue = field('number') ?? field('issue')
  record.pages = formatPages(field('pages'))

  record.doi = normalizeDoi(field('doi'))
  record.pmid = normalizePmid(field('pmid') ?? (eprintType === 'pubmed' ? field('eprint') : undefined))
  record.pmcid = normalizePmcid(field('pmcid') ?? (eprintType === 'pmc' ? field('eprint') : undefined))
  record.arxivId = normalizeArxivId(field('arxivid') ?? field('arxiv') ?? (eprintType === 'arxiv' ? field('eprint') : undefined))
  const url = field('url')
  if (url) {
    record.url = url
    const found = identifiersInUrl(url)
    if (found.doi) record.doi ??= normalizeDoi(found.doi)
    if (found.pmid) record.pmid ??= found.pmid
    if (found.pmcid) record.pmcid ??= found.pmcid
    if (found.arxiv) record.arxivId ??= normalizeArxivId(found.arxiv)
  }
  // Google Scholar: journal = {arXiv preprint arXiv:2101.00001}
  if (!record.arxivId && journal && /arxiv/i.test(journal)) {
    record.arxivId = normalizeArxivId(journal.replace(/^.*?arxiv:/i, ''))
    if (record.arxivId && /^arxiv preprint/i.test(journal)) record.type = 'preprint'
  }

  const keywords = fields.keywords
  const keywordList = Array.isArray(keywords) ? keywords : typeof keywords === 'string' ? keywords.split(/[;,]/) : []
  for (const keyword of keywordList) {
    const cleaned = plain(keyword)
    if (cleaned && !record.keywords.includes(cleaned)) record.keywords.push(cleaned)
  }
  const mesh = field('mesh')
  if (mesh) record.mesh = mesh.split(/[;\n]/).map((term) => term.trim()).filter((term) => term.length > 0)

  const serials = extractSerialNumbers([field('issn') ?? '', field('isbn') ?? ''])
  if (serials.issn.length > 0) record.issn = serials.issn
  if (serials.isbn.length > 0) record.isbn = serials.isbn

  const language = field('language') ?? field('langid')
  if (language) record.language = language
  const publisher = plain(fields.publisher ?? fields.school ?? fields.institution ?? fields.organization)
  if (publisher) record.publisher = publisher

  for (const name of ['note', 'annote', 'annotation', 'comment']) {
    const note = plain(fields[name])
    if (note) record.notes.push(note)
  }
  record.label = labelFromNotes([...record.notes, ...record.keywords])

  const file = field('file')
  if (file) record.attachments = attachmentPaths(file)
  return withoutUndefined(record)
}

export const bibtexFormat: ReferenceFormat = {
  id: 'bibtex',
  label: 'BibTeX / BibLaTeX',
  extensions: ['bib', 'bibtex', 'biblatex'],
  sniff(head: string): boolean {
    return /(?:^|[\r\n])\uFEFF?[ \t]*@[ \t]*(?:article|book|inbook|incollection|inproceedings|conference|misc|phdthesis|mastersthesis|thesis|techreport|report|online|unpublished|proceedings|manual|booklet|string|preamble|comment|collection|dataset|software|patent|electronic|www|periodical|reference|mvbook|bookinbook)[ \t]*[{(]/i.test(head)
  },
  parse: parseBibtex
}
