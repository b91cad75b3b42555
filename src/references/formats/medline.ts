/**
 * PubMed's MEDLINE display format (files saved as .txt or .nbib): a record
 * is a block of "TAG - value" lines whose tag is left-aligned in 4 columns
 * ("PMID- ", "TI  - ", "FAU - "), wrapped values continue on lines indented
 * by 6 spaces, and records are separated by blank lines.
 * Reference: https://www.nlm.nih.gov/bsd/mms/medlineelements.html
 */
import type { Author, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import { collapseSpaces, extractSerialNumbers, meshHeading, parsePersonName, readLineRecords, withoutUndefined } from '../text.ts'
import type { FormatInput, ReferenceFormat } from './types.ts'

/** A MEDLINE record as read: tag -> values in file order, wrapped lines joined with a space. */
export type MedlineTags = Record<string, string[]>

/** The tag of a MEDLINE line ("FAU - Smith, John"), or undefined. */
export function medlineTagOf(line: string): string | undefined {
  if (line.length < 5 || line.charCodeAt(4) !== 45) return undefined
  if (line.length > 5 && line.charCodeAt(5) !== 32) return undefined
  const first = line.charCodeAt(0)
  if (first < 65 || first > 90) return undefined
  const tag = line.slice(0, 4).trimEnd()
  return /^[A-Z][A-Z0-9]{1,3}$/.test(tag) ? tag : undefined
}

interface OpenRecord {
  line: number
  /** Tag/value pairs in order: author tags (FAU, AU, CN, AUID) only make sense in sequence. */
  fields: Array<[string, string]>
}

/** Line-driven MEDLINE reader; see RisReader for the calling pattern. */
export class MedlineReader {
  readonly items: ParsedItem[] = []
  private lineNumber = 0
  private index = 0
  private current?: OpenRecord
  private garbage?: { line: number; text: string; count: number }

  push(line: string): void {
    const lineNumber = ++this.lineNumber
    const tag = medlineTagOf(line)
    if (tag !== undefined) {
      if (tag === 'PMID' && this.current && this.current.fields.length > 0) this.finish()
      if (!this.current) {
        this.reportGarbage()
        this.current = { line: lineNumber, fields: [] }
      }
      this.current.fields.push([tag, line.slice(6).trim()])
      return
    }
    const text = line.trim()
    if (text.length === 0) {
      if (this.current) this.finish()
      return
    }
    if (this.current && this.current.fields.length > 0) {
      const last = this.current.fields[this.current.fields.length - 1]
      last[1] = last[1].length > 0 ? `${last[1]} ${text}` : text
      return
    }
    if (this.garbage) this.garbage.count++
    else this.garbage = { line: lineNumber, text: text.length > 60 ? `${text.slice(0, 60)}…` : text, count: 1 }
  }

  end(): void {
    if (this.current) this.finish()
    this.reportGarbage()
  }

  private finish(): void {
    const open = this.current as OpenRecord
    this.current = undefined
    this.items.push({ kind: 'record', record: medlineToRecord(open.fields), position: { line: open.line, index: this.index++ } })
  }

  private reportGarbage(): void {
    const garbage = this.garbage
    if (!garbage) return
    this.garbage = undefined
    const more = garbage.count > 1 ? ` (and ${garbage.count - 1} more line${garbage.count > 2 ? 's' : ''})` : ''
    this.items.push({
      kind: 'error',
      message: `Unrecognised text outside MEDLINE records at line ${garbage.line}: "${garbage.text}"${more}; it was skipped.`,
      position: { line: garbage.line, index: this.index++ }
    })
  }
}

/** Stream the records of a MEDLINE/.nbib input. */
export function parseMedline(input: FormatInput): AsyncGenerator<ParsedItem> {
  return readLineRecords(input, new MedlineReader())
}

/** Publication types (PT) that decide the model type, most specific first. */
function typeFromPublicationTypes(types: string[], isBook: boolean, hasChapterTitle: boolean): ReferenceType {
  const has = (name: string) => types.some((type) => type.toLowerCase() === name)
  if (has('preprint')) return 'preprint'
  if (isBook) return hasChapterTitle ? 'chapter' : 'book'
  if (has('review') || has('systematic review')) return 'review'
  if (has('letter')) return 'letter'
  if (has('editorial')) return 'editorial'
  if (has('news') || has('newspaper article')) return 'news'
  if (has('congress')) return 'conference-paper'
  if (has('dataset')) return 'dataset'
  if (has('technical report')) return 'report'
  return 'article'
}

/** Map one MEDLINE record (tag/value pairs in file order) to the normalised model. */
export function medlineToRecord(fields: ReadonlyArray<readonly [string, string]>): ReferenceRecord {
  const tags: MedlineTags = {}
  for (const [tag, value] of fields) {
    const values = tags[tag]
    if (values) values.push(value)
    else tags[tag] = [value]
  }
  const first = (tag: string) => tags[tag]?.find((value) => value.length > 0)
  const all = (tag: string) => (tags[tag] ?? []).filter((value) => value.length > 0)

  const isBook = first('BTI') !== undefined && first('JT') === undefined
  const record = emptyRecord(typeFromPublicationTypes(all('PT'), isBook, first('TI') !== undefined))
  record.original = tags
  record.sourceDatabase = 'PubMed'

  const title = first('TI') ?? first('BTI') ?? first('TT')
  if (title) record.title = collapseSpaces(title)
  const abstract = first('AB')
  if (abstract) record.abstract = abstract

  // FAU (full name) is followed by AU (initials) for the same author; CN is a group author; AUID carries the ORCID
  let pairedWithFullName = false
  let lastAuthor: Author | undefined
  for (const [tag, value] of fields) {
    if (tag === 'FAU' || (tag === 'AU' && !pairedWithFullName)) {
      const author = parsePersonName(value)
      if (author) {
        record.authors.push(author)
        lastAuthor = author
      }
      pairedWithFullName = tag === 'FAU'
    } else if (tag === 'AU') {
      pairedWithFullName = false
    } else if (tag === 'CN') {
      const name = collapseSpaces(value)
      if (name) record.authors.push({ family: name, literal: true })
      lastAuthor = undefined
      pairedWithFullName = false
    } else if (tag === 'AUID' && lastAuthor) {
      const orcid = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/i.exec(value)
      if (orcid) lastAuthor.orcid = orcid[1].toUpperCase()
    }
  }

  record.year = parseYear(first('DP')) ?? parseYear(first('DEP')) ?? parseYear(first('EDAT'))
  // a chapter of a Bookshelf book has the book title as its container
  const journal = first('JT') ?? (isBook && first('TI') !== undefined ? first('BTI') : undefined)
  if (journal) record.journal = collapseSpaces(journal)
  const abbreviation = first('TA')
  if (abbreviation) record.journalAbbrev = abbreviation
  if (!journal && abbreviation) record.journal = abbreviation
  const volume = first('VI')
  if (volume) record.volume = volume
  const issue = first('IP')
  if (issue) record.issue = issue
  const pages = first('PG')
  if (pages) record.pages = pages

  record.pmid = normalizePmid(first('PMID'))
  record.pmcid = normalizePmcid(first('PMC'))
  for (const value of [...all('LID'), ...all('AID')]) {
    if (/\[doi\]\s*$/i.test(value)) {
      record.doi = normalizeDoi(value.replace(/\s*\[doi\]\s*$/i, ''))
      if (record.doi) break
    }
  }

  for (const value of all('MH')) {
    const heading = meshHeading(value)
    if (heading && !record.mesh.includes(heading)) record.mesh.push(heading)
  }
  for (const value of all('OT')) {
    const keyword = value.replace(/^\*/, '').trim()
    if (keyword && !record.keywords.includes(keyword)) record.keywords.push(keyword)
  }

  const serials = extractSerialNumbers([...all('IS'), ...all('ISBN')])
  if (serials.issn.length > 0) record.issn = serials.issn
  if (serials.isbn.length > 0) record.isbn = serials.isbn

  const language = first('LA')
  if (language) record.language = language
  const publisher = first('PB')
  if (publisher) record.publisher = publisher
  record.notes = all('GN')
  return withoutUndefined(record)
}

export const medlineFormat: ReferenceFormat = {
  id: 'medline',
  label: 'PubMed MEDLINE (.nbib)',
  extensions: ['nbib', 'medline', 'txt'],
  sniff(head: string): boolean {
    return /(?:^|[\r\n])\uFEFF?PMID- *\d/.test(head) && /(?:^|[\r\n])(?:TI {2}|FAU |AU {2}|DP {2}|OWN |STAT)- /.test(head)
  },
  parse: parseMedline
}
