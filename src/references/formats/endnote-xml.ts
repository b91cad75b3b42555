/**
 * EndNote XML ("File > Export > XML"): <xml><records><record>… where most
 * text sits in <style face="normal" font="default" size="100%"> runs (one
 * run per change of formatting), flattened here to plain text.
 */
import type { ReferenceFormat } from './types.ts'
import type { Author, ImportedLabel, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import { extractSerialNumbers, identifiersInUrl, labelFromNotes, parsePersonName, withoutUndefined } from '../text.ts'
import type { XmlElement } from './xml-stream.ts'
import { child, childrenNamed, descend, elementToJson, rawText, streamXmlElements, textAt, textOf } from './xml-stream.ts'
import type { ImportLimits } from '../limits.ts'

const RECORD = new Set(['record'])

export const endnoteXmlFormat: ReferenceFormat = {
  id: 'endnote-xml',
  label: 'EndNote XML',
  extensions: ['xml'],
  sniff(head) {
    return /<xml>\s*<records>\s*<record[\s>]/.test(head)
  },
  parse(input) {
    return parseEndnoteXml(input.text(), input.limits)
  }
}

async function* parseEndnoteXml(chunks: AsyncIterable<string>, limits?: ImportLimits): AsyncGenerator<ParsedItem> {
  let index = 0
  const items = streamXmlElements(chunks, {
    limits,
    // by name rather than depth: saxes' recovery from a mismatched tag can close the enclosing elements early
    capture: (name) => name === 'record',
    unnestable: RECORD,
    checkRoot(name) {
      if (name !== 'xml') throw new Error(`not an EndNote XML file: root element is <${name}>, expected <xml>`)
    }
  })
  for await (const item of items) {
    const position = { line: item.line, index: index++ }
    if (item.kind === 'error') {
      yield { kind: 'error', message: item.message, position }
    } else if (item.errors.length > 0) {
      const number = textAt(item.element, 'rec-number')
      yield { kind: 'error', message: `malformed record${number ? ` ${number}` : ''}: ${item.errors.join('; ')}`, position }
    } else {
      const record = recordFromElement(item.element)
      if (!record.title && !record.abstract && !record.doi && !record.pmid) {
        const number = textAt(item.element, 'rec-number')
        yield { kind: 'error', message: `record${number ? ` ${number}` : ''} has no title, abstract or identifier`, position }
      } else {
        yield { kind: 'record', record, position }
      }
    }
  }
}

/** EndNote reference type names (the `name` attribute of <ref-type>). */
const REF_TYPES: Record<string, ReferenceType> = {
  'journal article': 'article',
  'electronic article': 'article',
  'magazine article': 'article',
  book: 'book',
  'edited book': 'book',
  'electronic book': 'book',
  'book section': 'chapter',
  'electronic book section': 'chapter',
  encyclopedia: 'chapter',
  dictionary: 'chapter',
  'conference paper': 'conference-paper',
  'conference proceedings': 'conference-paper',
  thesis: 'thesis',
  report: 'report',
  'government document': 'report',
  'web page': 'web',
  blog: 'web',
  patent: 'patent',
  'newspaper article': 'news',
  dataset: 'dataset',
  'personal communication': 'letter'
}

function recordFromElement(element: XmlElement): ReferenceRecord {
  const refType = child(element, 'ref-type')
  const typeName = (refType?.attributes.name ?? '').toLowerCase()
  const record = emptyRecord(REF_TYPES[typeName] ?? (typeName === '' ? 'article' : 'other'))
  record.original = elementToJson(element)
  refineTypeFromWorkType(record, textAt(element, 'work-type'))

  const titles = child(element, 'titles')
  record.title = textAt(titles, 'title')
  record.abstract = paragraphs(child(element, 'abstract'))
  record.authors = authors(descend(element, 'contributors/authors'))
  record.year = parseYear(textAt(element, 'dates/year')) ?? parseYear(textAt(element, 'dates/pub-dates/date'))

  const periodical = child(element, 'periodical') ?? child(element, 'alt-periodical')
  record.journal = textAt(periodical, 'full-title') ?? textAt(titles, 'secondary-title')
  // for periodicals EndNote keeps the abbreviated journal name in alt-title; for books it is another title
  const periodicalType = /article/.test(typeName) || typeName === ''
  record.journalAbbrev = textAt(periodical, 'abbr-1') ?? (periodicalType ? textAt(titles, 'alt-title') : undefined)
  record.volume = textAt(element, 'volume')
  record.issue = textAt(element, 'number') ?? textAt(element, 'issue')
  record.pages = textAt(element, 'pages')
  record.publisher = textAt(element, 'publisher')
  record.language = textAt(element, 'language')

  const serials = extractSerialNumbers(childrenNamed(element, 'isbn').map((isbn) => rawText(isbn)))
  if (serials.issn.length > 0) record.issn = serials.issn
  if (serials.isbn.length > 0) record.isbn = serials.isbn

  record.keywords = unique(childrenNamed(child(element, 'keywords'), 'keyword').flatMap((keyword) => splitKeywordLines(rawText(keyword))))
  const notes = [paragraphs(child(element, 'notes')), paragraphs(child(element, 'research-notes'))]
  record.notes = notes.filter((note): note is string => note !== undefined)

  const database = textAt(element, 'remote-database-name') ?? textAt(element, 'remote-database-provider')
  record.sourceDatabase = database ?? 'EndNote'
  record.doi = normalizeDoi(textAt(element, 'electronic-resource-num'))
  const accession = textAt(element, 'accession-num')
  if (accession && /pubmed|medline|nlm/i.test(`${database ?? ''} ${textAt(element, 'remote-database-provider') ?? ''}`)) {
    record.pmid = normalizePmid(accession)
  }
  applyUrls(record, element)
  applyIdentifiersInText(record, [...record.notes, ...customFields(element)])

  record.label = decisionLabel(textAt(element, 'label')) ?? labelFromNotes(record.notes)
  return withoutUndefined(record)
}

function refineTypeFromWorkType(record: ReferenceRecord, workType: string | undefined): void {
  if (!workType || record.type !== 'article') return
  if (/\b(systematic review|meta-analysis|review)\b/i.test(workType)) record.type = 'review'
  else if (/\beditorial\b/i.test(workType)) record.type = 'editorial'
  else if (/\bletter\b/i.test(workType)) record.type = 'letter'
}

function authors(list: XmlElement | undefined): Author[] {
  const result: Author[] = []
  for (const author of childrenNamed(list, 'author')) {
    const text = textOf(author)
    if (!text) continue
    // EndNote's convention for organisations: the name is entered with a trailing comma
    if (/,\s*$/.test(text) && text.indexOf(',') === text.length - 1) {
      result.push({ family: text.slice(0, -1).trim(), literal: true })
      continue
    }
    const parsed = parsePersonName(text)
    if (parsed) result.push(parsed)
  }
  return result
}

/** Text whose line breaks separate paragraphs (abstracts, notes): keep the breaks, tidy the rest. */
function paragraphs(element: XmlElement | undefined): string | undefined {
  const text = rawText(element)
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line.length > 0)
    .join('\n')
  return text.length > 0 ? text : undefined
}

/** EndNote stores keywords one per <keyword>, but imports from some databases put several on separate lines. */
function splitKeywordLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/).map((line) => line.replace(/\s+/g, ' ').trim()).filter((line) => line.length > 0)
}

function applyUrls(record: ReferenceRecord, element: XmlElement): void {
  const urls = child(element, 'urls')
  const related = [...childrenNamed(child(urls, 'related-urls'), 'url'), ...childrenNamed(child(urls, 'web-urls'), 'url')]
    .flatMap((url) => splitKeywordLines(rawText(url)))
  for (const url of related) {
    const found = identifiersInUrl(url)
    record.pmid ??= normalizePmid(found.pmid)
    record.pmcid ??= normalizePmcid(found.pmcid)
    record.doi ??= normalizeDoi(found.doi)
  }
  record.url = related[0]
  record.attachments = unique(childrenNamed(child(urls, 'pdf-urls'), 'url').flatMap((url) => splitKeywordLines(rawText(url))))
}

function customFields(element: XmlElement): string[] {
  const values: string[] = []
  for (const node of childrenNamed(element)) {
    if (/^custom\d$/.test(node.name)) values.push(rawText(node))
  }
  return values
}

/** PubMed imports put "PMID: …" in notes and the PMCID in a custom field. */
function applyIdentifiersInText(record: ReferenceRecord, texts: string[]): void {
  for (const text of texts) {
    const pmid = /\bPMID:?\s*(\d{1,9})\b/i.exec(text)
    if (pmid) record.pmid ??= normalizePmid(pmid[1])
    record.pmcid ??= normalizePmcid(/\bPMC\d+\b/i.exec(text)?.[0])
  }
}

function decisionLabel(value: string | undefined): ImportedLabel | undefined {
  switch (value?.trim().toLowerCase()) {
    case 'include': case 'included': return 'include'
    case 'exclude': case 'excluded': return 'exclude'
    case 'maybe': case 'unsure': return 'maybe'
    default: return undefined
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)]
}
