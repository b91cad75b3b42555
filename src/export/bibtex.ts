/**
 * BibTeX export (BibLaTeX-compatible field names where BibTeX has none:
 * `pmid`, `pmcid`, `eprint` + `eprinttype`, `shortjournal`, `file`).
 * Text is UTF-8 with LaTeX's special characters escaped; identifiers and
 * links are written verbatim. Each entry gets a unique citation key
 * (keys.ts). Screening labels and the record's notes go in `note` (one per
 * line, see labels.ts); tags join the `keywords`.
 */

import type { Author, ReferenceRecord, ReferenceType } from '../references/model.ts'
import type { ExportItem } from './item.ts'
import { oneLine, splitPages } from './item.ts'
import { CitationKeys } from './keys.ts'
import { notesWithLabels } from './labels.ts'
import { reviewNoteLines } from './review.ts'

const ENTRY_TYPES: Record<ReferenceType, string> = {
  article: 'article', review: 'article', letter: 'article', editorial: 'article', news: 'article',
  book: 'book', chapter: 'incollection', 'conference-paper': 'inproceedings', thesis: 'phdthesis',
  report: 'techreport', preprint: 'unpublished', dataset: 'misc', web: 'misc', patent: 'misc', other: 'misc'
}

/** The field that holds the container (journal, book, proceedings) for each entry type. */
const CONTAINER_FIELD: Record<string, string> = { incollection: 'booktitle', inproceedings: 'booktitle' }
/** The field that holds the publisher for each entry type. */
const PUBLISHER_FIELD: Record<string, string> = { phdthesis: 'school', techreport: 'institution' }

// "<", ">" and "|" are not special to TeX, but its default font encoding
// prints them as "¡", "¿" and "—", and BibTeX readers decode them so.
const LATEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}', '{': '\\{', '}': '\\}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_',
  '~': '\\textasciitilde{}', '^': '\\textasciicircum{}', '<': '\\textless{}', '>': '\\textgreater{}', '|': '\\textbar{}'
}

/** Between the characters TeX joins into one ('' and `` quotes, -- and --- dashes, ,, „, !` ¡, ?` ¿): "{}" keeps them apart. */
const LIGATURE = /(?<=')(?=')|(?<=`)(?=`)|(?<=-)(?=-)|(?<=,)(?=,)|(?<=[!?])(?=`)/g

/** Text for a braced BibTeX value: LaTeX specials escaped, ligatures broken, Unicode kept. */
export function escapeLatex(text: string): string {
  return text.replace(/[\\{}&%$#_~^<>|]/g, (ch) => LATEX_SPECIALS[ch]).replace(LIGATURE, '{}')
}

/** Identifiers, links and paths: written as they are, braces removed so the value stays balanced. */
function verbatim(text: string): string {
  return oneLine(text).replace(/[{}]/g, '')
}

function authorName(author: Author): string {
  if (author.literal || !author.given) {
    // Braces keep a corporate name whole (BibTeX would split "World Health Organization" into names).
    return author.literal ? `{${escapeLatex(oneLine(author.family))}}` : escapeLatex(oneLine(author.family))
  }
  return `${escapeLatex(oneLine(author.family))}, ${escapeLatex(oneLine(author.given))}`
}

/** Writes entries; one instance per export file, as citation keys are unique within it. */
export class BibtexWriter {
  private readonly keys = new CitationKeys()

  entry(item: ExportItem): string {
    const record: ReferenceRecord = item.record
    const type = ENTRY_TYPES[record.type] ?? 'misc'
    const fields: Array<[string, string]> = []
    const text = (name: string, value: string | undefined) => {
      if (value && oneLine(value)) fields.push([name, escapeLatex(oneLine(value))])
    }
    const raw = (name: string, value: string | undefined) => {
      if (value && verbatim(value)) fields.push([name, verbatim(value)])
    }

    text('title', record.title)
    if (record.authors?.length) fields.push(['author', record.authors.map(authorName).join(' and ')])
    if (record.year !== undefined) fields.push(['year', String(record.year)])
    text(CONTAINER_FIELD[type] ?? 'journal', record.journal)
    text('shortjournal', record.journalAbbrev)
    text('volume', record.volume)
    text('number', record.issue)
    if (record.pages) {
      const [start, end] = splitPages(record.pages)
      // "--" is the range's en dash: the pages themselves are escaped, not the dash.
      if (oneLine(start)) fields.push(['pages', end ? `${escapeLatex(oneLine(start))}--${escapeLatex(oneLine(end))}` : escapeLatex(oneLine(start))])
    }
    text(PUBLISHER_FIELD[type] ?? 'publisher', record.publisher)
    raw('doi', record.doi)
    raw('pmid', record.pmid)
    raw('pmcid', record.pmcid)
    if (record.arxivId) {
      raw('eprint', record.arxivId)
      fields.push(['eprinttype', 'arxiv'])
    }
    if (record.issn?.length) raw('issn', record.issn.join(', '))
    if (record.isbn?.length) raw('isbn', record.isbn.join(', '))
    raw('url', record.url)
    if (record.abstract?.trim()) fields.push(['abstract', escapeLatex(record.abstract.trim().replace(/\r\n?/g, '\n').replace(/\n{2,}/g, '\n\n'))])
    const keywords: string[] = []
    for (const keyword of [...(record.keywords ?? []), ...(record.mesh ?? []), ...(item.tags ?? [])]) {
      const cleaned = oneLine(keyword)
      if (cleaned && !keywords.some((k) => k.toLowerCase() === cleaned.toLowerCase())) keywords.push(cleaned)
    }
    // A keyword holding a comma is braced so that it is not split in two.
    if (keywords.length > 0) fields.push(['keywords', keywords.map((k) => (k.includes(',') ? `{${escapeLatex(k)}}` : escapeLatex(k))).join(', ')])
    text('language', record.language)
    const notes = notesWithLabels(item).map((note) => escapeLatex(oneLine(note))).filter((note) => note.length > 0)
    if (notes.length > 0) fields.push(['note', notes.join('\n')])
    // Extraction and risk of bias: `annote`, which BibTeX keeps and annotated styles print (review.ts).
    const annotations = reviewNoteLines(item.review).map((note) => escapeLatex(note))
    if (annotations.length > 0) fields.push(['annote', annotations.join('\n')])
    if (record.attachments?.length) raw('file', record.attachments.map((path) => path.replace(/;/g, '\\;')).join(';'))

    const width = Math.max(...fields.map(([name]) => name.length), 0)
    const body = fields.map(([name, value]) => `  ${name.padEnd(width)} = {${value}}`).join(',\n')
    return `@${type}{${this.keys.next(record)},\n${body}\n}\n\n`
  }
}

/** BibTeX text of the items, one chunk per entry. */
export function* toBibtex(items: Iterable<ExportItem>): Generator<string> {
  const writer = new BibtexWriter()
  for (const item of items) yield writer.entry(item)
}
