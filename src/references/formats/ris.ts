/**
 * RIS, the tagged format every reference manager and database exports
 * (Zotero, EndNote, Mendeley, Scopus, Embase, Ovid, ProQuest, Web of Science,
 * Rayyan, Citavi…). Each dialect bends the format a little; what is handled:
 *
 * - tag lines "XX  - value", also with a tab or one space before the dash
 *   (hand-made files) and with an empty value ("N2  -");
 * - repeated tags (AU, KW, N1, SN…) kept in order;
 * - continuation lines without tag (PubMed-via-EndNote writes one MeSH term
 *   per line after a single KW, Scopus wraps its reference list, Citavi adds
 *   "Export Date" lines): appended to the previous tag's value with "\n";
 * - Ovid's record numbers ("1.") and "Link to the Ovid Full Text" lines
 *   between records, and the tags Ovid writes after ER (NL): these trailing
 *   tags are added to the record they follow, unless an ER closes them (a
 *   record without TY, which is reported as an error);
 * - a record without ER (before the next TY or at the end of the file), and
 *   any other text between records, give an error item with the line.
 */
import type { ParsedItem, ReferenceRecord, ReferenceType, SourcePosition } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import {
  collapseSpaces, extractSerialNumbers, formatPages, identifiersInUrl, labelFromNotes, meshHeading,
  parsePersonName, readLineRecords, stripHtml
} from '../text.ts'
import type { FormatInput, ReferenceFormat } from './types.ts'

/** A RIS record as read: tag -> values, in file order, continuation lines joined with "\n". */
export type RisTags = Record<string, string[]>

/** RIS reference types (the RIS specification and EndNote's additions) mapped to the model's vocabulary. */
export const RIS_TYPE_MAP: Readonly<Record<string, ReferenceType>> = {
  JOUR: 'article', JFULL: 'article', EJOUR: 'article', INPR: 'article', MGZN: 'article', ABST: 'article', SER: 'article',
  NEWS: 'news', PRESS: 'news',
  BOOK: 'book', EBOOK: 'book', EDBOOK: 'book', CLSWK: 'book', ANCIENT: 'book', DICT: 'book', ENCYC: 'book', PAMP: 'book',
  CHAP: 'chapter', ECHAP: 'chapter',
  CONF: 'conference-paper', CPAPER: 'conference-paper',
  THES: 'thesis',
  RPRT: 'report', GOVDOC: 'report', STAND: 'report', GRNT: 'report',
  UNPB: 'preprint', UNPD: 'preprint', MANSCPT: 'preprint',
  DATA: 'dataset', DBASE: 'dataset', AGGR: 'dataset',
  WEB: 'web', ELEC: 'web', BLOG: 'web', ICOMM: 'web',
  PAT: 'patent',
  PCOMM: 'letter',
  GEN: 'other', ART: 'other', ADVS: 'other', BILL: 'other', CASE: 'other', CTLG: 'other', CHART: 'other', COMP: 'other',
  EQUA: 'other', FIGURE: 'other', MPCT: 'other', HEAR: 'other', INTV: 'other', LEGAL: 'other', MAP: 'other', MUSIC: 'other',
  MULTI: 'other', POD: 'other', SLIDE: 'other', SOUND: 'other', STAT: 'other', UNBILL: 'other', VIDEO: 'other'
}

/** Tags of the RIS specification, for the lenient "XX - value" (one space) form that hand-made files use. */
const KNOWN_TAGS = new Set((
  'TY ER A1 A2 A3 A4 AB AD AN AU AV BT C1 C2 C3 C4 C5 C6 C7 C8 CA CN CP CT CY DA DB DO DP ED EP ET ID IS J1 J2 JA JF JO ' +
  'KW L1 L2 L3 L4 LA LB LK M1 M2 M3 N1 N2 NV OP PB PP PY RI RN RP SE SN SP ST T1 T2 T3 TA TI TT U1 U2 U3 U4 U5 UR VL VO Y1 Y2'
).split(' '))

const LENIENT_TAG_LINE = /^\uFEFF?([A-Z][A-Z0-9])(?: ?\t|  ?)-(?:[ \t]|$)/

function isTagChar(code: number, first: boolean): boolean {
  return (code >= 65 && code <= 90) || (!first && code >= 48 && code <= 57)
}

/**
 * One string per two-character tag, reused for every line: property lookups
 * with the same string object are much cheaper than with a fresh slice.
 */
const TAG_STRINGS: string[] = []

function tagString(first: number, second: number): string {
  const code = first * 128 + second
  return (TAG_STRINGS[code] ??= String.fromCharCode(first, second))
}

/** The tag of a RIS tag line ("AU  - Smith, J"), or undefined for a continuation/other line. */
export function risTagOf(line: string): string | undefined {
  if (line.length >= 5 && line.charCodeAt(2) === 32 && line.charCodeAt(3) === 32 && line.charCodeAt(4) === 45) {
    const first = line.charCodeAt(0)
    const second = line.charCodeAt(1)
    if (isTagChar(first, true) && isTagChar(second, false) &&
      (line.length === 5 || line.charCodeAt(5) === 32 || line.charCodeAt(5) === 9)) {
      return tagString(first, second)
    }
  }
  const match = LENIENT_TAG_LINE.exec(line)
  if (!match) return undefined
  const tag = tagString(match[1].charCodeAt(0), match[1].charCodeAt(1))
  // one space before the dash is only trusted for real RIS tags: "CI - 95%" may start an abstract line
  if (!line.includes('\t', 2) && line.charCodeAt(3) === 45 && !KNOWN_TAGS.has(tag)) return undefined
  return tag
}

function risValueOf(line: string): string {
  // standard "XX  - value": no search, and trim only when there is something to trim
  if (line.charCodeAt(4) === 45 && line.charCodeAt(5) === 32) {
    if (line.length === 6) return ''
    const value = line.slice(6)
    const last = value.charCodeAt(value.length - 1)
    return value.charCodeAt(0) <= 32 || last <= 32 || last === 0xa0 ? value.trim() : value
  }
  const dash = line.indexOf('-', 2)
  return line.slice(dash + 1).trim()
}

/** Lines Ovid writes around records: record numbers ("1.", "<1>") and links to the full text. */
const OVID_DECORATION = /^(?:\d+\.|<\d+>|Link to .*)$/
/** "Provider: Elsevier", "Database: ScienceDirect", "Content: text/plain"… headers some sites write before the first record. */
const EXPORT_HEADER = /^[A-Za-z][\w -]{0,30}:\s/

interface OpenRecord { tags: RisTags; line: number; lastTag?: string }

/**
 * Line-driven RIS reader: feed lines with `push`, collect finished items
 * from `items` (drained by the caller), call `end` after the last line.
 */
export class RisReader {
  readonly items: ParsedItem[] = []
  private lineNumber = 0
  private index = 0
  private current?: OpenRecord
  /** A closed record held back until the next TY, for the tags Ovid writes after ER. */
  private closed?: OpenRecord
  /** Tag lines found after an ER and before the next TY. */
  private trailing?: OpenRecord
  private garbage?: { line: number; text: string; count: number }

  push(line: string): void {
    const lineNumber = ++this.lineNumber
    const tag = risTagOf(line)
    const current = this.current
    if (current) {
      if (tag === undefined) {
        const text = line.trim()
        if (text.length > 0 && current.lastTag) appendContinuation(current, text)
        return
      }
      if (tag === 'ER') {
        this.closed = current
        this.current = undefined
        return
      }
      if (tag === 'TY') {
        this.error(current.line, `The record starting at line ${current.line} has no "ER  -" end line before the next record at line ${lineNumber}; it was not imported.`)
        this.current = { tags: { TY: [risValueOf(line)] }, line: lineNumber, lastTag: 'TY' }
        return
      }
      addTag(current, tag, risValueOf(line))
      return
    }

    // between records
    if (tag === 'TY') {
      this.settleGap()
      this.current = { tags: { TY: [risValueOf(line)] }, line: lineNumber, lastTag: 'TY' }
      return
    }
    if (tag === 'ER') {
      const trailing = this.trailing
      if (trailing) {
        this.trailing = undefined
        this.settleGap()
        this.error(trailing.line, `Lines ${trailing.line}-${lineNumber} form a record without a "TY  -" start line; they were not imported.`)
      }
      return
    }
    if (tag !== undefined) {
      this.trailing ??= { tags: {}, line: lineNumber }
      addTag(this.trailing, tag, risValueOf(line))
      return
    }
    const text = line.trim()
    if (text.length === 0 || OVID_DECORATION.test(text)) return
    if (this.index === 0 && !this.closed && !this.trailing && !this.garbage && EXPORT_HEADER.test(text)) return
    if (this.trailing?.lastTag) {
      appendContinuation(this.trailing, text)
      return
    }
    if (this.garbage) this.garbage.count++
    else this.garbage = { line: lineNumber, text: text.length > 60 ? `${text.slice(0, 60)}…` : text, count: 1 }
  }

  end(): void {
    if (this.current) {
      this.settleGap()
      this.error(this.current.line, `The record starting at line ${this.current.line} is not closed by an "ER  -" line (the file may be truncated); it was not imported.`)
      this.current = undefined
    } else {
      this.settleGap()
    }
  }

  /** Finish what lies between two records: the held-back record, trailing tags, unrecognised text. */
  private settleGap(): void {
    const closed = this.closed
    const trailing = this.trailing
    this.closed = undefined
    this.trailing = undefined
    if (trailing && closed) {
      for (const tag of Object.keys(trailing.tags)) {
        const values = closed.tags[tag]
        if (values) values.push(...trailing.tags[tag])
        else closed.tags[tag] = trailing.tags[tag]
      }
    }
    if (closed) this.record(closed)
    if (trailing && !closed) {
      this.error(trailing.line, `Tag lines at line ${trailing.line} are outside any record (no "TY  -" line before them); they were not imported.`)
    }
    const garbage = this.garbage
    if (garbage) {
      this.garbage = undefined
      const more = garbage.count > 1 ? ` (and ${garbage.count - 1} more line${garbage.count > 2 ? 's' : ''})` : ''
      this.error(garbage.line, `Unrecognised text between records at line ${garbage.line}: "${garbage.text}"${more}; it was skipped.`)
    }
  }

  private record(open: OpenRecord): void {
    const position: SourcePosition = { line: open.line, index: this.index++ }
    this.items.push({ kind: 'record', record: risToRecord(open.tags), position })
  }

  private error(line: number, message: string): void {
    this.items.push({ kind: 'error', message, position: { line, index: this.index++ } })
  }
}

function addTag(open: OpenRecord, tag: string, value: string): void {
  const values = open.tags[tag]
  if (values) values.push(value)
  else open.tags[tag] = [value]
  open.lastTag = tag
}

function appendContinuation(open: OpenRecord, text: string): void {
  const values = open.tags[open.lastTag as string]
  const last = values.length - 1
  values[last] = values[last].length > 0 ? `${values[last]}\n${text}` : text
}

/** Stream the records of a RIS input. */
export function parseRis(input: FormatInput): AsyncGenerator<ParsedItem> {
  return readLineRecords(input, new RisReader())
}

function values(tags: RisTags, tag: string): string[] {
  const found = tags[tag]
  if (!found) return []
  return found.filter((value) => value.length > 0)
}

function first(tags: RisTags, ...names: string[]): string | undefined {
  for (const name of names) {
    const found = tags[name]
    if (!found) continue
    for (const value of found) if (value.length > 0) return value
  }
  return undefined
}

const PUBMED_DATABASES = /^(?:NLM|PubMed|MEDLINE|Ovid MEDLINE.*)$/i

/** Ovid's database codes (the `D=` of its links) of the databases it is used for most. */
const OVID_DATABASES: Array<[RegExp, string]> = [
  [/^psyc/i, 'APA PsycInfo'], [/^(?:medl|mesz|prem|medp)/i, 'MEDLINE'], [/^(?:emed|emez|oemez|emba)/i, 'Embase'], [/^cctr/i, 'Cochrane Library']
]

/**
 * The database that only the links of a record tell: Scopus's own record
 * link, Web of Science's `<Go to ISI>://WOS:` (EndNote), Ovid's database code.
 */
function databaseInLinks(tags: RisTags): string | undefined {
  for (const tag of ['UR', 'L2', 'LK']) {
    for (const link of values(tags, tag)) {
      if (/(?:^|\s)https?:\/\/www\.scopus\.com\/inward\/record\.uri/i.test(link)) return 'Scopus'
      if (/(?:^|\s)<Go to ISI>:\/\/WOS:/i.test(link)) return 'Web of Science'
      const ovid = /(?:^|\s)https?:\/\/ovidsp\.(?:\w+\.)?ovid\.com\/\S*[?&]D=(\w+)/i.exec(link)
      const known = ovid && OVID_DATABASES.find(([code]) => code.test(ovid[1]))
      if (known) return known[1]
    }
  }
  return undefined
}

/** Database types of work (Scopus/Embase M3, PubMed-via-EndNote N1) that refine a journal article. */
function refineArticleType(workType: string | undefined): ReferenceType | undefined {
  if (!workType) return undefined
  const text = workType.toLowerCase()
  if (/\b(systematic )?review\b/.test(text) && !/peer.review/.test(text)) return 'review'
  if (/^letter\b/.test(text)) return 'letter'
  if (/^editorial\b/.test(text)) return 'editorial'
  if (/^conference (paper|review|abstract)/.test(text)) return 'conference-paper'
  if (/^preprint\b/.test(text)) return 'preprint'
  return undefined
}

/** Map one RIS record (tag -> values) to the normalised model. */
export function risToRecord(tags: RisTags): ReferenceRecord {
  const typeCode = (tags.TY?.[0] ?? '').trim().toUpperCase()
  let type: ReferenceType = RIS_TYPE_MAP[typeCode] ?? 'other'
  if (type === 'article') type = refineArticleType(first(tags, 'M3')) ?? type
  const record = emptyRecord(type)
  record.original = tags

  const title = first(tags, 'TI', 'T1', 'CT') ?? (type === 'book' ? first(tags, 'BT') : undefined) ?? first(tags, 'ST')
  if (title) record.title = collapseSpaces(title)

  const abstractAb = first(tags, 'AB')
  const abstractN2 = first(tags, 'N2')
  // EndNote writes the abstract to N2 and sometimes notes to AB; the longer one is the abstract
  const abstract = abstractAb && abstractN2 ? (abstractN2.length > abstractAb.length ? abstractN2 : abstractAb) : abstractAb ?? abstractN2
  if (abstract) record.abstract = abstract.trim()

  for (const tag of ['AU', 'A1']) {
    for (const value of values(tags, tag)) {
      for (const name of value.split('\n')) {
        const author = parsePersonName(name)
        if (author) record.authors.push(author)
      }
    }
  }

  const year = parseYear(first(tags, 'PY')) ?? parseYear(first(tags, 'Y1')) ?? parseYear(first(tags, 'DA'))
  if (year !== undefined) record.year = year

  const journal = first(tags, 'JF', 'T2', 'JO', 'JA', 'J2', 'J1')
  if (journal) record.journal = collapseSpaces(journal)
  const abbreviation = [first(tags, 'J2'), first(tags, 'JA'), first(tags, 'J1'), first(tags, 'JI'), first(tags, 'J9'), first(tags, 'JO')]
    .find((value) => value !== undefined && value !== journal)
  if (abbreviation) record.journalAbbrev = collapseSpaces(abbreviation)

  const volume = first(tags, 'VL', 'VO')
  if (volume) record.volume = volume
  const issue = first(tags, 'IS', 'CP')
  if (issue) record.issue = issue
  // without pages, the article number (C7 in EndNote, Scopus and Web of Science) locates the article
  const pages = formatPages(first(tags, 'SP'), first(tags, 'EP')) ?? (type === 'article' || type === 'review' ? first(tags, 'C7') : undefined)
  if (pages) record.pages = pages

  const database = first(tags, 'DB', 'DP')
  const accession = first(tags, 'AN')
  const isPubMed = database !== undefined && PUBMED_DATABASES.test(database)
  if (database) record.sourceDatabase = database
  else if (accession?.startsWith('WOS:')) record.sourceDatabase = 'Web of Science'
  else if (accession?.startsWith('rayyan-')) record.sourceDatabase = 'Rayyan'
  else record.sourceDatabase = databaseInLinks(tags)

  const ids: { doi?: string; pmid?: string; pmcid?: string; arxivId?: string } = {}
  ids.doi = normalizeDoi(first(tags, 'DO'))
  const m3 = first(tags, 'M3')
  if (!ids.doi && m3?.startsWith('10.')) ids.doi = normalizeDoi(m3)

  // PubMed ids: AN of PubMed-derived records, C2 in Scopus (PMCID in EndNote), C5 in Embase, links, notes
  if (isPubMed && accession && /^\s*(?:PMID:?\s*)?\d{1,9}\s*$/i.test(accession)) ids.pmid = normalizePmid(accession)
  const c2 = first(tags, 'C2')
  if (c2) {
    if (/^\s*\d{1,9}\s*$/.test(c2)) ids.pmid ??= normalizePmid(c2)
    else ids.pmcid = normalizePmcid(c2)
  }
  const c5 = first(tags, 'C5')
  if (!ids.pmid && c5 && /^\s*\d{1,9}\s*$/.test(c5) && /embase/i.test(database ?? '')) ids.pmid = normalizePmid(c5)

  for (const tag of ['UR', 'L2', 'LK']) {
    for (const value of values(tags, tag)) {
      for (const link of value.split(/\s+/)) {
        const found = identifiersInUrl(link)
        if (found.pmid) ids.pmid ??= found.pmid
        if (found.pmcid) ids.pmcid ??= found.pmcid
        if (found.doi) ids.doi ??= normalizeDoi(found.doi)
        if (found.arxiv) ids.arxivId ??= normalizeArxivId(found.arxiv)
      }
    }
  }
  if (!ids.arxivId && ids.doi?.startsWith('10.48550/arxiv.')) ids.arxivId = normalizeArxivId(ids.doi.slice(15))

  const notes: string[] = []
  for (const tag of ['N1', 'RN']) {
    for (const value of values(tags, tag)) {
      const note = stripHtml(value)
      if (note.length > 0) notes.push(note)
    }
  }
  record.notes = notes
  if (!ids.pmid || !ids.pmcid) {
    for (const note of notes) {
      if (!note.includes('PM')) continue
      const pmid = /\bPMID:?\s*(\d{1,9})\b/i.exec(note)
      if (pmid) ids.pmid ??= pmid[1]
      const pmcid = /\bPMCID:?\s*(PMC\d+)/i.exec(note)
      if (pmcid) ids.pmcid ??= pmcid[1].toUpperCase()
    }
  }
  if (ids.doi) record.doi = ids.doi
  if (ids.pmid) record.pmid = ids.pmid
  if (ids.pmcid) record.pmcid = ids.pmcid
  if (ids.arxivId) record.arxivId = ids.arxivId
  const label = labelFromNotes(notes)
  if (label) record.label = label

  const serialValues = values(tags, 'SN')
  if (tags.BN) serialValues.push(...values(tags, 'BN'))
  if (serialValues.length > 0) {
    const serials = extractSerialNumbers(serialValues)
    if (serials.issn.length > 0) record.issn = serials.issn
    if (serials.isbn.length > 0) record.isbn = serials.isbn
  }

  // PubMed-via-EndNote puts MeSH headings and author keywords in KW; elsewhere KW holds keywords ("*" marks PsycINFO major terms)
  for (const value of values(tags, 'KW')) {
    const parts = value.includes('\n') || value.includes(';') ? value.split(/\n|;\s*/) : [value]
    for (const part of parts) {
      const term = part.trim()
      if (term.length === 0) continue
      // in PubMed-derived records MeSH headings are capitalised or carry "/qualifier" and "*"; author keywords follow in lower case
      if (isPubMed && (/^[*A-Z]/.test(term) || term.includes('/'))) {
        const heading = meshHeading(term)
        if (heading && !record.mesh.includes(heading)) record.mesh.push(heading)
      } else {
        const keyword = term.charCodeAt(0) === 42 ? term.replace(/^\*\s*/, '') : term
        if (!record.keywords.includes(keyword)) record.keywords.push(keyword)
      }
    }
  }

  const url = first(tags, 'UR') ?? first(tags, 'L2')
  if (url) record.url = url.split(/\s+/)[0]
  for (const tag of ['L1', 'L4']) {
    for (const value of values(tags, tag)) {
      for (const path of value.split(/\n|;(?=\s*(?:[a-z][a-z0-9+.-]*:|\/|[A-Za-z]:\\))/)) {
        const trimmed = path.trim()
        if (trimmed.length > 0) record.attachments.push(trimmed)
      }
    }
  }

  const language = first(tags, 'LA')
  if (language) record.language = language
  const publisher = first(tags, 'PB')
  if (publisher) record.publisher = collapseSpaces(publisher)
  return record
}

export const risFormat: ReferenceFormat = {
  id: 'ris',
  label: 'RIS',
  extensions: ['ris', 'txt'],
  sniff(head: string): boolean {
    return /(?:^|[\r\n])\uFEFF?TY(?: ?\t|  ?)-[ \t]*[A-Za-z]*[ \t]*(?:\r|\n|$)/.test(head)
  },
  parse: parseRis
}
