/**
 * CSL-JSON export: a JSON array of CSL items (citeproc, Zotero, Pandoc,
 * Mendeley read it). `id` is a citation key unique within the export
 * (keys.ts). PMID and PMCID have CSL variables; an arXiv id travels as an
 * "arXiv: …" line in `note`, Zotero's convention for fields CSL lacks.
 * Screening labels and the record's notes are lines of `note` (labels.ts);
 * keywords, MeSH headings and tags are the comma-separated `keyword`.
 */

import type { ReferenceRecord, ReferenceType } from '../references/model.ts'
import type { ExportItem } from './item.ts'
import { oneLine } from './item.ts'
import { CitationKeys } from './keys.ts'
import { notesWithLabels } from './labels.ts'
import { reviewCustom } from './review.ts'

const CSL_TYPES: Record<ReferenceType, string> = {
  article: 'article-journal', review: 'article-journal', editorial: 'article-journal', letter: 'letter',
  book: 'book', chapter: 'chapter', 'conference-paper': 'paper-conference', thesis: 'thesis', report: 'report',
  preprint: 'article', dataset: 'dataset', web: 'webpage', patent: 'patent', news: 'article-newspaper', other: 'document'
}

export type CslItem = Record<string, unknown>

/** The CSL item of one export item; `id` is the citation key to use. */
export function cslItem(item: ExportItem, id: string): CslItem {
  const record: ReferenceRecord = item.record
  const csl: CslItem = { id, type: CSL_TYPES[record.type] ?? 'document' }
  const set = (name: string, value: string | undefined) => {
    if (value && value.trim()) csl[name] = value.trim()
  }
  set('title', record.title)
  if (record.authors?.length) {
    csl.author = record.authors.map((a) => (a.literal ? { literal: a.family } : a.given ? { family: a.family, given: a.given } : { family: a.family }))
  }
  if (record.year !== undefined) csl.issued = { 'date-parts': [[record.year]] }
  set('container-title', record.journal)
  set('container-title-short', record.journalAbbrev)
  set('volume', record.volume)
  set('issue', record.issue)
  set('page', record.pages)
  set('DOI', record.doi)
  set('PMID', record.pmid)
  set('PMCID', record.pmcid)
  set('URL', record.url)
  if (record.issn?.length) csl.ISSN = record.issn.join(', ')
  if (record.isbn?.length) csl.ISBN = record.isbn.join(', ')
  set('abstract', record.abstract)
  const keywords: string[] = []
  for (const keyword of [...(record.keywords ?? []), ...(record.mesh ?? []), ...(item.tags ?? [])]) {
    // The list is comma-separated: a comma inside a keyword would split it.
    const cleaned = oneLine(keyword).replace(/[,;]/g, ' ').replace(/\s+/g, ' ').trim()
    if (cleaned && !keywords.some((k) => k.toLowerCase() === cleaned.toLowerCase())) keywords.push(cleaned)
  }
  if (keywords.length > 0) csl.keyword = keywords.join(', ')
  set('language', record.language)
  set('publisher', record.publisher)
  set('source', record.sourceDatabase)
  const noteLines = [...(record.arxivId ? [`arXiv: ${record.arxivId}`] : []), ...notesWithLabels(item, { databaseField: true }).map(oneLine)]
  if (noteLines.length > 0) csl.note = noteLines.join('\n')
  const custom = reviewCustom(item.review)
  if (custom) csl.custom = custom
  return csl
}

/** Writes the JSON array piece by piece; one instance per export file, as ids are unique within it. */
export class CslJsonWriter {
  private readonly keys = new CitationKeys()
  private count = 0

  begin(): string {
    return '['
  }

  item(item: ExportItem): string {
    const json = JSON.stringify(cslItem(item, this.keys.next(item.record)), null, 2).replace(/\n/g, '\n  ')
    return `${this.count++ === 0 ? '\n' : ',\n'}  ${json}`
  }

  end(): string {
    return this.count === 0 ? ']\n' : '\n]\n'
  }
}

/** CSL-JSON text of the items: "[", one chunk per item, "]". */
export function* toCslJson(items: Iterable<ExportItem>): Generator<string> {
  const writer = new CslJsonWriter()
  yield writer.begin()
  for (const item of items) yield writer.item(item)
  yield writer.end()
}
