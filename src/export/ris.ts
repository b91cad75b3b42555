/**
 * RIS export, read by every reference manager (Zotero, EndNote, Mendeley,
 * Rayyan, Covidence…) and by the project's RIS importer. Lines end with
 * CRLF, as the RIS specification and EndNote expect.
 *
 * Identifiers without a standard RIS tag travel as links that reference
 * managers keep and the importer recognises: `LK` with the PubMed, PMC and
 * arXiv URLs of the record. Screening labels are `N1` lines (see
 * labels.ts), tags are `KW` lines as well; the source database is `DB`. MeSH headings are `KW` lines
 * too (RIS has no MeSH tag), so on re-import they come back as keywords.
 */

import type { ReferenceRecord, ReferenceType } from '../references/model.ts'
import type { ExportItem } from './item.ts'
import { oneLine, splitPages } from './item.ts'
import { notesWithLabels } from './labels.ts'
import { reviewNoteLines } from './review.ts'

const RIS_TYPES: Record<ReferenceType, string> = {
  article: 'JOUR', review: 'JOUR', letter: 'JOUR', editorial: 'JOUR', book: 'BOOK', chapter: 'CHAP',
  'conference-paper': 'CPAPER', thesis: 'THES', report: 'RPRT', preprint: 'UNPB', dataset: 'DATA', web: 'ELEC',
  patent: 'PAT', news: 'NEWS', other: 'GEN'
}

/** Work types (M3) that refine a journal article, as Scopus and Embase write them. */
const RIS_WORK_TYPES: Partial<Record<ReferenceType, string>> = { review: 'Review', letter: 'Letter', editorial: 'Editorial' }

const EOL = '\r\n'
// A line of a multi-line value that looks like a tag line would start a new field when read back.
const TAG_LIKE = /^[A-Z][A-Z0-9]  ?-/

function line(tag: string, value: string | undefined): string {
  if (value === undefined) return ''
  const text = oneLine(value)
  return text ? `${tag}  - ${text}${EOL}` : ''
}

/** A value whose line breaks are kept (abstracts): continuation lines follow the tag line. */
function multiLine(tag: string, value: string | undefined): string {
  if (!value || !value.trim()) return ''
  const lines = value.trim().split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l.length > 0)
    .map((l) => (TAG_LIKE.test(l) ? ` ${l}` : l))
  return `${tag}  - ${lines.join(EOL)}${EOL}`
}

/** One record in RIS, ending with its ER line. */
export function risRecord(item: ExportItem): string {
  const record: ReferenceRecord = item.record
  let text = line('TY', RIS_TYPES[record.type] ?? 'GEN')
  text += line('TI', record.title)
  for (const author of record.authors ?? []) {
    const name = author.literal || !author.given ? author.family : `${author.family}, ${author.given}`
    text += line('AU', name)
  }
  if (record.year !== undefined) text += line('PY', String(record.year))
  // T2: the journal, or the book of a chapter, or the proceedings of a paper.
  text += line('T2', record.journal)
  text += line('J2', record.journalAbbrev)
  text += line('M3', RIS_WORK_TYPES[record.type])
  text += line('VL', record.volume)
  text += line('IS', record.issue)
  if (record.pages) {
    const [start, end] = splitPages(record.pages)
    text += line('SP', start)
    text += line('EP', end)
  }
  text += line('DO', record.doi)
  if (record.pmid) text += line('LK', `https://pubmed.ncbi.nlm.nih.gov/${record.pmid}/`)
  if (record.pmcid) text += line('LK', `https://www.ncbi.nlm.nih.gov/pmc/articles/${record.pmcid}/`)
  if (record.arxivId) text += line('LK', `https://arxiv.org/abs/${record.arxivId}`)
  text += line('UR', record.url)
  for (const serial of [...(record.issn ?? []), ...(record.isbn ?? [])]) text += line('SN', serial)
  text += multiLine('AB', record.abstract)
  const keywords = new Set<string>()
  for (const keyword of [...(record.keywords ?? []), ...(record.mesh ?? []), ...(item.tags ?? [])]) {
    const cleaned = oneLine(keyword)
    if (cleaned && !keywords.has(cleaned.toLowerCase())) {
      keywords.add(cleaned.toLowerCase())
      text += line('KW', cleaned)
    }
  }
  text += line('LA', record.language)
  text += line('PB', record.publisher)
  text += line('DB', record.sourceDatabase)
  for (const attachment of record.attachments ?? []) text += line('L1', attachment)
  for (const note of notesWithLabels(item, { databaseField: true })) text += line('N1', note)
  for (const note of reviewNoteLines(item.review)) text += line('N1', note)
  return `${text}ER  - ${EOL}${EOL}`
}

/** RIS text of the items, one chunk per record. */
export function* toRis(items: Iterable<ExportItem>): Generator<string> {
  for (const item of items) yield risRecord(item)
}
