/**
 * Zotero RDF ("Export Library… > Zotero RDF"): an rdf:RDF document whose
 * top-level nodes are items (bib:Article, bib:Book, rdf:Description… with a
 * z:itemType), their containers (bib:Journal, bib:Book…), attachments
 * (z:Attachment), notes (bib:Memo) and collections (z:Collection).
 *
 * Items point to the other nodes by id (`dcterms:isPartOf rdf:resource`,
 * `link:link`, `dcterms:isReferencedBy`), and Zotero writes those nodes just
 * after the item. So an item waits in a short queue until the nodes it
 * references have been read, then it is mapped and released; containers,
 * attachments and notes are kept in a small index by id (attachments and
 * notes belong to one item and are dropped once that item is out).
 */
import type { ReferenceFormat } from './types.ts'
import type { Author, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeArxivId, normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import { extractSerialNumbers, labelFromNotes, stripHtml, withoutUndefined } from '../text.ts'
import type { XmlElement } from './xml-stream.ts'
import { child, childrenNamed, descend, elementToJson, rawText, streamXmlElements, textAt, textOf } from './xml-stream.ts'
import type { ImportLimits } from '../limits.ts'

/** Canonical prefixes for the namespaces Zotero uses, whatever prefixes a file declares. */
const NAMESPACES: Record<string, string> = {
  'http://www.w3.org/1999/02/22-rdf-syntax-ns#': 'rdf',
  'http://www.zotero.org/namespaces/export#': 'z',
  'http://purl.org/dc/terms/': 'dcterms',
  'http://purl.org/net/biblio#': 'bib',
  'http://xmlns.com/foaf/0.1/': 'foaf',
  'http://purl.org/rss/1.0/modules/link/': 'link',
  'http://purl.org/dc/elements/1.1/': 'dc',
  'http://prismstandard.org/namespaces/1.2/basic/': 'prism',
  'http://nwalsh.com/rdf/vCard#': 'vcard',
  'http://www.w3.org/2006/vcard/ns#': 'vcard'
}

/** Items wait at most this many behind the first unresolved one before they are released anyway. */
const MAX_PENDING_ITEMS = 200

export const zoteroRdfFormat: ReferenceFormat = {
  id: 'zotero-rdf',
  label: 'Zotero RDF',
  extensions: ['rdf', 'xml'],
  sniff(head) {
    return /<rdf:RDF[\s>]/.test(head) &&
      /http:\/\/www\.zotero\.org\/namespaces\/export#|http:\/\/purl\.org\/net\/biblio#/.test(head)
  },
  parse(input) {
    return parseZoteroRdf(input.text(), input.limits)
  }
}

interface PendingItem {
  element: XmlElement
  line: number
  index: number
  references: string[]
}

async function* parseZoteroRdf(chunks: AsyncIterable<string>, limits?: ImportLimits): AsyncGenerator<ParsedItem> {
  /** containers, attachments, notes (and any other node with an id) by rdf:about */
  const nodes = new Map<string, XmlElement>()
  const pending: PendingItem[] = []
  let index = 0

  const release = function* (force: boolean): Generator<ParsedItem> {
    while (pending.length > 0) {
      const head = pending[0]
      if (!force && pending.length <= MAX_PENDING_ITEMS && !head.references.every((id) => nodes.has(id))) return
      pending.shift()
      const record = itemToRecord(head.element, nodes)
      const position = { line: head.line, index: head.index }
      if (!record.title && !record.abstract && !record.doi && !record.pmid) {
        yield { kind: 'error', message: `item ${head.element.attributes['rdf:about'] ?? ''} has no title, abstract or identifier`.trim(), position }
      } else {
        yield { kind: 'record', record, position }
      }
    }
  }

  const elements = streamXmlElements(chunks, {
    limits,
    capture: (_name, depth) => depth === 1,
    canonicalPrefixes: NAMESPACES,
    checkRoot(name) {
      if (name !== 'rdf:RDF') throw new Error(`not a Zotero RDF file: root element is <${name}>, expected <rdf:RDF>`)
    }
  })
  for await (const item of elements) {
    if (item.kind === 'error') {
      yield { kind: 'error', message: item.message, position: { line: item.line, index: index++ } }
      continue
    }
    const element = item.element
    if (item.errors.length > 0) {
      // a broken item is an error item; a broken attachment or note costs its item only that attachment or note
      const what = `${element.name} ${element.attributes['rdf:about'] ?? ''}`.trim()
      yield { kind: 'error', message: `malformed ${what}: ${item.errors.join('; ')}`, position: { line: item.line, index: index++ } }
      continue
    }
    if (isItem(element)) {
      pending.push({ element, line: item.line, index: index++, references: referencedIds(element) })
    } else {
      const about = element.attributes['rdf:about']
      if (about && element.name !== 'z:Collection') nodes.set(about, element)
    }
    yield* release(false)
  }
  yield* release(true)
}

function itemToRecord(element: XmlElement, nodes: Map<string, XmlElement>): ReferenceRecord {
  const record = mapItem(element, nodes)
  // attachments and notes belong to this item only: forget them
  for (const id of referencedIds(element)) {
    const node = nodes.get(id)
    if (node && (node.name === 'z:Attachment' || node.name === 'bib:Memo')) nodes.delete(id)
  }
  return record
}

/** Top-level nodes with a z:itemType other than attachment or note are bibliographic items. */
function isItem(element: XmlElement): boolean {
  const itemType = textAt(element, 'z:itemType')
  return itemType !== undefined && itemType !== 'attachment' && itemType !== 'note'
}

function referencedIds(element: XmlElement): string[] {
  const ids: string[] = []
  for (const name of ['dcterms:isPartOf', 'link:link', 'dcterms:isReferencedBy']) {
    for (const reference of childrenNamed(element, name)) {
      const id = reference.attributes['rdf:resource']
      if (id) ids.push(id)
    }
  }
  return ids
}

/** Zotero item types; the ones not listed are 'other'. */
const ITEM_TYPES: Record<string, ReferenceType> = {
  journalArticle: 'article',
  magazineArticle: 'article',
  newspaperArticle: 'news',
  book: 'book',
  bookSection: 'chapter',
  encyclopediaArticle: 'chapter',
  dictionaryEntry: 'chapter',
  conferencePaper: 'conference-paper',
  presentation: 'conference-paper',
  thesis: 'thesis',
  report: 'report',
  standard: 'report',
  webpage: 'web',
  blogPost: 'web',
  forumPost: 'web',
  patent: 'patent',
  dataset: 'dataset',
  preprint: 'preprint',
  letter: 'letter',
  email: 'letter'
}

function mapItem(element: XmlElement, nodes: Map<string, XmlElement>): ReferenceRecord {
  const record = emptyRecord(ITEM_TYPES[textAt(element, 'z:itemType') ?? ''] ?? 'other')
  const container = containerOf(element, nodes)
  const attachments = childrenNamed(element, 'link:link').map((link) => nodes.get(link.attributes['rdf:resource'] ?? '')).filter(isElement)
  const memos = childrenNamed(element, 'dcterms:isReferencedBy').map((reference) =>
    nodes.get(reference.attributes['rdf:resource'] ?? '') ?? child(reference, 'bib:Memo')).filter(isElement)

  record.original = {
    item: elementToJson(element),
    ...(container ? { container: elementToJson(container) } : {}),
    ...(attachments.length > 0 ? { attachments: attachments.map(elementToJson) } : {}),
    ...(memos.length > 0 ? { notes: memos.map(elementToJson) } : {})
  }

  record.title = textAt(element, 'dc:title')
  record.abstract = abstractOf(child(element, 'dcterms:abstract'))
  record.authors = people(child(element, 'bib:authors'))
  record.year = parseYear(textAt(element, 'dc:date'))
  record.journal = textAt(container, 'dc:title')
  record.journalAbbrev = textAt(container, 'dcterms:alternative') ?? textAt(element, 'z:journalAbbreviation')
  record.volume = textAt(element, 'prism:volume') ?? textAt(container, 'prism:volume')
  record.issue = textAt(element, 'prism:number') ?? textAt(container, 'prism:number')
  record.pages = textAt(element, 'bib:pages')
  record.language = textAt(element, 'z:language')
  record.sourceDatabase = textAt(element, 'z:libraryCatalog')
  record.publisher = textAt(element, 'dc:publisher/foaf:Organization/foaf:name') ?? textAt(container, 'dc:publisher/foaf:Organization/foaf:name')

  const identifiers = [...childrenNamed(element, 'dc:identifier'), ...childrenNamed(container, 'dc:identifier')]
  const serials: string[] = []
  for (const identifier of identifiers) {
    const uri = textAt(identifier, 'dcterms:URI/rdf:value')
    if (uri) {
      record.url ??= uri
      continue
    }
    const text = textOf(identifier) ?? ''
    const typed = /^(DOI|ISSN|ISBN|PMID|PMCID|arXiv)\s*:?\s+(.+)$/i.exec(text)
    const kind = typed?.[1].toUpperCase()
    if (kind === 'DOI') record.doi ??= normalizeDoi(typed?.[2])
    else if (kind === 'ISSN' || kind === 'ISBN') serials.push(typed?.[2] ?? '')
    else if (kind === 'PMID') record.pmid ??= normalizePmid(typed?.[2])
    else if (kind === 'PMCID') record.pmcid ??= normalizePmcid(typed?.[2])
    else if (kind === 'ARXIV') record.arxivId ??= normalizeArxivId(typed?.[2])
  }
  const { issn, isbn } = extractSerialNumbers(serials)
  if (issn.length > 0) record.issn = issn
  if (isbn.length > 0) record.isbn = isbn

  record.keywords = keywords(element)
  const extra = applyExtra(record, rawText(child(element, 'dc:description')))
  if (extra) record.notes.push(extra)
  for (const memo of memos) {
    const note = stripHtml(rawText(child(memo, 'rdf:value')))
    if (note) record.notes.push(note)
  }
  record.label = labelFromNotes(record.notes)

  for (const attachment of attachments) {
    const file = child(attachment, 'z:attachment')?.attributes['rdf:resource']
    if (file) record.attachments.push(file)
  }
  return withoutUndefined(record)
}

function isElement(node: XmlElement | undefined): node is XmlElement {
  return node !== undefined
}

/** The journal, book or series an item is part of: referenced by id or nested. */
function containerOf(element: XmlElement, nodes: Map<string, XmlElement>): XmlElement | undefined {
  for (const partOf of childrenNamed(element, 'dcterms:isPartOf')) {
    const id = partOf.attributes['rdf:resource']
    const node = id ? nodes.get(id) : childrenNamed(partOf)[0]
    // a series (bib:Series) is secondary to the journal or book
    if (node && node.name !== 'bib:Series') return node
  }
  return undefined
}

function abstractOf(element: XmlElement | undefined): string | undefined {
  const text = rawText(element).replace(/\r\n?/g, '\n').split('\n').map((line) => line.replace(/[ \t]+/g, ' ').trim()).join('\n').trim()
  return text.length > 0 ? text : undefined
}

/** foaf:Person entries of an rdf:Seq; a person with only a surname is a single-field (organisation) name. */
function people(list: XmlElement | undefined): Author[] {
  const result: Author[] = []
  for (const entry of childrenNamed(descend(list, 'rdf:Seq') ?? list, 'rdf:li')) {
    const person = child(entry, 'foaf:Person') ?? child(entry, 'foaf:Organization')
    if (!person) continue
    const family = textAt(person, 'foaf:surname') ?? textAt(person, 'foaf:name')
    if (!family) continue
    const given = textAt(person, 'foaf:givenName')
    result.push(given ? { family, given } : { family, literal: true })
  }
  return result
}

/** Tags (z:AutomaticTag or plain dc:subject text); classification codes (dcterms:LCC…) are not keywords. */
function keywords(element: XmlElement): string[] {
  const result: string[] = []
  for (const subject of childrenNamed(element, 'dc:subject')) {
    const nested = childrenNamed(subject)
    let keyword: string | undefined
    if (nested.length === 0) keyword = textOf(subject)
    else if (nested[0].name === 'z:AutomaticTag') keyword = textAt(nested[0], 'rdf:value')
    if (keyword && !result.includes(keyword)) result.push(keyword)
  }
  return result
}

/**
 * Zotero's "Extra" field (dc:description) holds identifiers it has no field
 * for, one "Name: value" per line; they fill the record and the rest is a note.
 */
function applyExtra(record: ReferenceRecord, extra: string): string | undefined {
  const kept: string[] = []
  for (const line of extra.split(/\r\n|\r|\n/)) {
    const field = /^\s*(PMID|PMCID|DOI|arXiv(?: ID)?)\s*:\s*(.+?)\s*$/i.exec(line)
    if (!field) {
      kept.push(line)
      continue
    }
    const name = field[1].toLowerCase()
    if (name === 'pmid') record.pmid ??= normalizePmid(field[2])
    else if (name === 'pmcid') record.pmcid ??= normalizePmcid(field[2])
    else if (name === 'doi') record.doi ??= normalizeDoi(field[2])
    else record.arxivId ??= normalizeArxivId(field[2])
  }
  const rest = kept.join('\n').trim()
  return rest.length > 0 ? rest : undefined
}
