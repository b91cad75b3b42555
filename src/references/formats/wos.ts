/**
 * Web of Science "Plain text file" export (also InCites and WoS-derived
 * tools such as VOSviewer/bibliometrix inputs): a "FN Clarivate…" and
 * "VR 1.0" header, records from "PT" to "ER", two-letter tags followed by one
 * space, continuation lines indented by three spaces, and "EF" at the end.
 * In list fields (authors, addresses, cited references) each continuation
 * line is a new value; elsewhere it continues the text of the previous line.
 * Web of Science's RIS export (TY/ER) is read by the RIS importer instead.
 */
import type { ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeDoi, normalizePmid, parseYear } from '../identifiers.ts'
import { collapseSpaces, extractSerialNumbers, formatPages, parsePersonName, readLineRecords, withoutUndefined } from '../text.ts'
import type { FormatInput, ReferenceFormat } from './types.ts'

/** A Web of Science record as read: tag -> values. */
export type WosTags = Record<string, string[]>

/** Tags whose continuation lines are separate values (one name, address or reference per line). */
const LIST_TAGS = new Set(['AU', 'AF', 'BA', 'BF', 'BE', 'CA', 'GP', 'CR', 'C1', 'C3'])

/** The tag of a Web of Science line ("AU Smith, J", "ER"), or undefined for a continuation or other line. */
export function wosTagOf(line: string): string | undefined {
  if (line.length < 2) return undefined
  const a = line.charCodeAt(0)
  const b = line.charCodeAt(1)
  if (a < 65 || a > 90 || !((b >= 65 && b <= 90) || (b >= 48 && b <= 57))) return undefined
  if (line.length === 2 || line.charCodeAt(2) === 32) return line.slice(0, 2)
  if (/^\s+$/.test(line.slice(2))) return line.slice(0, 2)
  return undefined
}

interface OpenRecord { tags: WosTags; line: number; lastTag?: string }

/** Line-driven Web of Science reader; see RisReader for the calling pattern. */
export class WosReader {
  readonly items: ParsedItem[] = []
  private lineNumber = 0
  private index = 0
  private current?: OpenRecord
  private ended = false
  private garbage?: { line: number; text: string; count: number }

  push(line: string): void {
    const lineNumber = ++this.lineNumber
    if (this.ended) return
    const tag = wosTagOf(line)
    const current = this.current
    if (current) {
      if (tag === undefined) {
        const text = line.trim()
        if (text.length === 0 || !current.lastTag) return
        const values = current.tags[current.lastTag]
        if (LIST_TAGS.has(current.lastTag)) values.push(text)
        else values[values.length - 1] = `${values[values.length - 1]} ${text}`
        return
      }
      if (tag === 'ER') {
        this.current = undefined
        this.items.push({ kind: 'record', record: wosToRecord(current.tags), position: { line: current.line, index: this.index++ } })
        return
      }
      if (tag === 'PT' || tag === 'EF') {
        this.error(current.line, `The record starting at line ${current.line} has no "ER" end line; it was not imported.`)
        this.current = undefined
        if (tag === 'EF') {
          this.ended = true
          return
        }
        this.start(line, lineNumber)
        return
      }
      const value = line.slice(3).trim()
      const values = current.tags[tag]
      if (values) values.push(value)
      else current.tags[tag] = [value]
      current.lastTag = tag
      return
    }

    if (tag === 'PT') {
      this.reportGarbage()
      this.start(line, lineNumber)
      return
    }
    if (tag === 'EF') {
      this.reportGarbage()
      this.ended = true
      return
    }
    // the header (FN, VR) and blank lines between records carry no record data
    if (tag === 'FN' || tag === 'VR' || tag === 'ER' || line.trim().length === 0) return
    const text = line.trim()
    if (this.garbage) this.garbage.count++
    else this.garbage = { line: lineNumber, text: text.length > 60 ? `${text.slice(0, 60)}…` : text, count: 1 }
  }

  end(): void {
    if (this.current) {
      this.reportGarbage()
      this.error(this.current.line, `The record starting at line ${this.current.line} is not closed by an "ER" line (the file may be truncated); it was not imported.`)
      this.current = undefined
    }
    this.reportGarbage()
  }

  private start(line: string, lineNumber: number): void {
    this.current = { tags: { PT: [line.slice(3).trim()] }, line: lineNumber, lastTag: 'PT' }
  }

  private reportGarbage(): void {
    const garbage = this.garbage
    if (!garbage) return
    this.garbage = undefined
    const more = garbage.count > 1 ? ` (and ${garbage.count - 1} more line${garbage.count > 2 ? 's' : ''})` : ''
    this.error(garbage.line, `Unrecognised text between records at line ${garbage.line}: "${garbage.text}"${more}; it was skipped.`)
  }

  private error(line: number, message: string): void {
    this.items.push({ kind: 'error', message, position: { line, index: this.index++ } })
  }
}

/** Stream the records of a Web of Science plain-text input. */
export function parseWos(input: FormatInput): AsyncGenerator<ParsedItem> {
  return readLineRecords(input, new WosReader())
}

function wosType(publicationType: string, documentType: string): ReferenceType {
  const dt = documentType.toLowerCase()
  if (/\breview\b/.test(dt) && !/book review/.test(dt)) return 'review'
  if (/\bletter\b/.test(dt)) return 'letter'
  if (/editorial/.test(dt)) return 'editorial'
  if (/book chapter/.test(dt)) return 'chapter'
  if (/proceedings paper|meeting abstract/.test(dt)) return 'conference-paper'
  if (/news item/.test(dt)) return 'news'
  if (/data (paper|set)/.test(dt)) return 'dataset'
  const pt = publicationType.trim().toUpperCase()
  if (pt === 'B') return dt === 'book' || dt === '' ? 'book' : 'chapter'
  if (pt === 'P') return 'patent'
  if (/^book\b/.test(dt)) return 'book'
  return 'article'
}

function splitSemicolons(values: string[]): string[] {
  const out: string[] = []
  for (const value of values) {
    for (const part of value.split(';')) {
      const term = part.trim()
      if (term.length > 0 && !out.includes(term)) out.push(term)
    }
  }
  return out
}

/** Map one Web of Science record to the normalised model. */
export function wosToRecord(tags: WosTags): ReferenceRecord {
  const first = (...names: string[]) => {
    for (const name of names) {
      const value = tags[name]?.find((entry) => entry.length > 0)
      if (value !== undefined) return value
    }
    return undefined
  }
  const all = (name: string) => (tags[name] ?? []).filter((value) => value.length > 0)

  const record = emptyRecord(wosType(first('PT') ?? '', first('DT') ?? ''))
  record.original = tags
  record.sourceDatabase = 'Web of Science'

  const title = first('TI')
  if (title) record.title = collapseSpaces(title)
  const abstract = first('AB')
  if (abstract) record.abstract = abstract

  // AF has full names; AU the abbreviated ones, used when AF is missing (older records)
  const names = all('AF').length > 0 ? all('AF') : all('AU')
  for (const name of names) {
    const author = parsePersonName(name)
    if (author) record.authors.push(author)
  }
  for (const group of [...all('CA'), ...all('GP')]) record.authors.push({ family: collapseSpaces(group), literal: true })
  for (const entry of all('OI')) {
    // "Family, Given/0000-0002-1825-0097; Other, Name/0000-…"
    for (const part of entry.split(';')) {
      const match = /^\s*(.+?)\s*\/\s*(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\s*$/i.exec(part)
      if (!match) continue
      const family = match[1].split(',')[0].trim().toLowerCase()
      const author = record.authors.find((candidate) => !candidate.orcid && candidate.family.toLowerCase() === family)
      if (author) author.orcid = match[2].toUpperCase()
    }
  }

  record.year = parseYear(first('PY')) ?? parseYear(first('EA')) ?? parseYear(first('PD'))
  const journal = first('SO')
  if (journal) record.journal = collapseSpaces(journal)
  const abbreviation = first('JI', 'J9')
  if (abbreviation) record.journalAbbrev = abbreviation
  const volume = first('VL')
  if (volume) record.volume = volume
  const issue = first('IS')
  if (issue) record.issue = issue
  record.pages = formatPages(first('BP'), first('EP')) ?? first('AR')

  record.doi = normalizeDoi(first('DI', 'D2'))
  record.pmid = normalizePmid(first('PM'))
  record.keywords = splitSemicolons([...all('DE'), ...all('ID')])

  const serials = extractSerialNumbers([...all('SN'), ...all('EI'), ...all('BN')])
  if (serials.issn.length > 0) record.issn = serials.issn
  if (serials.isbn.length > 0) record.isbn = serials.isbn

  const language = first('LA')
  if (language) record.language = language
  const publisher = first('PU')
  if (publisher) record.publisher = publisher
  return withoutUndefined(record)
}

export const wosFormat: ReferenceFormat = {
  id: 'wos',
  label: 'Web of Science plain text',
  extensions: ['txt', 'ciw'],
  sniff(head: string): boolean {
    const header = /^\uFEFF?FN .*(?:Web of Science|Clarivate|Thomson|ISI)/i.test(head) || /(?:^|[\r\n])VR 1\.0\b/.test(head)
    const record = /(?:^|[\r\n])PT [A-Z]\s*[\r\n]/.test(head) && /(?:^|[\r\n])(?:AU|TI|UT|SO) \S/.test(head)
    return record && (header || /(?:^|[\r\n])ER\s*(?:[\r\n]|$)/.test(head))
  },
  parse: parseWos
}
