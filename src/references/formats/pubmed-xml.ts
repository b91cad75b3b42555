/**
 * PubMed XML as returned by E-utilities efetch (`db=pubmed&retmode=xml`) and
 * by the "PubMed" save option: <PubmedArticleSet> holding <PubmedArticle>
 * (journal citations) and <PubmedBookArticle> (NCBI Bookshelf chapters and
 * books), following the NLM pubmed_250101 DTD.
 */
import type { ReferenceFormat } from './types.ts'
import type { Author, ParsedItem, ReferenceRecord, ReferenceType } from '../model.ts'
import { emptyRecord } from '../model.ts'
import { normalizeDoi, normalizePmcid, normalizePmid, parseYear } from '../identifiers.ts'
import type { XmlElement } from './xml-stream.ts'
import { withoutUndefined } from '../text.ts'
import { child, childrenNamed, descend, elementToJson, streamXmlElements, textAt, textOf } from './xml-stream.ts'
import type { ImportLimits } from '../limits.ts'

const RECORD_ELEMENTS = new Set(['PubmedArticle', 'PubmedBookArticle'])

export const pubmedXmlFormat: ReferenceFormat = {
  id: 'pubmed-xml',
  label: 'PubMed XML',
  extensions: ['xml'],
  sniff(head) {
    return /<PubmedArticleSet[\s>]/.test(head) || /<!DOCTYPE\s+PubmedArticleSet\b/.test(head)
  },
  parse(input) {
    return parsePubmedXml(input.text(), input.limits)
  }
}

async function* parsePubmedXml(chunks: AsyncIterable<string>, limits?: ImportLimits): AsyncGenerator<ParsedItem> {
  let index = 0
  const items = streamXmlElements(chunks, {
    limits,
    // by name rather than depth: saxes' recovery from a mismatched tag can close the enclosing elements early
    capture: (name) => RECORD_ELEMENTS.has(name),
    unnestable: RECORD_ELEMENTS,
    checkRoot(name) {
      if (name !== 'PubmedArticleSet') throw new Error(`not a PubMed XML file: root element is <${name}>, expected <PubmedArticleSet>`)
    }
  })
  for await (const item of items) {
    const position = { line: item.line, index: index++ }
    if (item.kind === 'error') {
      yield { kind: 'error', message: item.message, position }
    } else if (item.errors.length > 0) {
      yield { kind: 'error', message: `malformed ${item.element.name}${pmidHint(item.element)}: ${item.errors.join('; ')}`, position }
    } else {
      const record = withoutUndefined(item.element.name === 'PubmedArticle' ? articleToRecord(item.element) : bookArticleToRecord(item.element))
      if (!record.title && !record.pmid) {
        yield { kind: 'error', message: `${item.element.name} has neither a PMID nor a title`, position }
      } else {
        yield { kind: 'record', record, position }
      }
    }
  }
}

function pmidHint(element: XmlElement): string {
  const pmid = textAt(element, 'MedlineCitation/PMID') ?? textAt(element, 'BookDocument/PMID')
  return pmid ? ` (PMID ${pmid})` : ''
}

function articleToRecord(element: XmlElement): ReferenceRecord {
  const citation = child(element, 'MedlineCitation')
  const article = child(citation, 'Article')
  const journal = child(article, 'Journal')
  const record = emptyRecord(publicationType(childrenNamed(child(article, 'PublicationTypeList'), 'PublicationType')))
  record.original = elementToJson(element)
  record.sourceDatabase = 'PubMed'

  record.title = textOf(child(article, 'ArticleTitle')) ?? textOf(child(article, 'VernacularTitle'))
  record.abstract = abstractText(child(article, 'Abstract'))
  record.authors = authors(child(article, 'AuthorList'))
  record.journal = textAt(journal, 'Title')
  record.journalAbbrev = textAt(journal, 'ISOAbbreviation') ?? textAt(citation, 'MedlineJournalInfo/MedlineTA')
  const issue = child(journal, 'JournalIssue')
  record.volume = textAt(issue, 'Volume')
  record.issue = textAt(issue, 'Issue')
  record.year =
    parseYear(textAt(issue, 'PubDate/Year')) ??
    parseYear(textAt(issue, 'PubDate/MedlineDate')) ??
    parseYear(textAt(article, 'ArticleDate/Year'))
  const issn = [...childrenNamed(journal, 'ISSN').map(textOf), textAt(citation, 'MedlineJournalInfo/ISSNLinking')]
  record.issn = unique(issn)
  record.pages = pages(article)
  record.language = textAt(article, 'Language')

  record.pmid = normalizePmid(textAt(citation, 'PMID'))
  applyIds(record, childrenNamed(descend(element, 'PubmedData/ArticleIdList'), 'ArticleId'))
  applyElocations(record, childrenNamed(article, 'ELocationID'))

  record.mesh = unique(childrenNamed(child(citation, 'MeshHeadingList'), 'MeshHeading').map((heading) => textAt(heading, 'DescriptorName'))) ?? []
  record.keywords = keywords(citation)
  return record
}

function bookArticleToRecord(element: XmlElement): ReferenceRecord {
  const document = child(element, 'BookDocument')
  const book = child(document, 'Book')
  const chapterTitle = textOf(child(document, 'ArticleTitle'))
  const bookTitle = textOf(child(book, 'BookTitle'))
  const record = emptyRecord(chapterTitle ? 'chapter' : 'book')
  record.original = elementToJson(element)
  record.sourceDatabase = 'PubMed'

  record.title = chapterTitle ?? bookTitle ?? textOf(child(document, 'VernacularTitle'))
  if (chapterTitle) record.journal = bookTitle
  record.abstract = abstractText(child(document, 'Abstract'))
  // editors are listed in <AuthorList Type="editors">; the model has no place for them
  const authorList = childrenNamed(document, 'AuthorList').find((list) => list.attributes.Type !== 'editors') ??
    childrenNamed(book, 'AuthorList').find((list) => list.attributes.Type !== 'editors')
  record.authors = authors(authorList)
  record.year = parseYear(textAt(book, 'PubDate/Year')) ?? parseYear(textAt(book, 'PubDate/MedlineDate')) ??
    parseYear(textAt(document, 'ContributionDate/Year'))
  record.publisher = textAt(book, 'Publisher/PublisherName')
  record.volume = textAt(book, 'Volume')
  record.isbn = unique(childrenNamed(book, 'ISBN').map(textOf))
  record.pages = pages(document)
  record.language = textAt(document, 'Language')
  record.pmid = normalizePmid(textAt(document, 'PMID'))
  applyIds(record, childrenNamed(child(document, 'ArticleIdList'), 'ArticleId'))
  applyIds(record, childrenNamed(descend(element, 'PubmedBookData/ArticleIdList'), 'ArticleId'))
  applyElocations(record, [...childrenNamed(document, 'ELocationID'), ...childrenNamed(book, 'ELocationID')])
  record.keywords = keywords(document)
  const types = childrenNamed(document, 'PublicationType')
  if (types.length > 0 && !chapterTitle) {
    const type = publicationType(types)
    if (type !== 'article') record.type = type
  }
  return record
}

/** Structured abstracts become one "LABEL: text" paragraph per section. */
function abstractText(abstract: XmlElement | undefined): string | undefined {
  const sections = childrenNamed(abstract, 'AbstractText')
  const paragraphs: string[] = []
  for (const section of sections) {
    const text = textOf(section)
    if (!text) continue
    const label = section.attributes.Label?.trim()
    paragraphs.push(label ? `${label}: ${text}` : text)
  }
  return paragraphs.length > 0 ? paragraphs.join('\n') : undefined
}

function authors(list: XmlElement | undefined): Author[] {
  const result: Author[] = []
  for (const author of childrenNamed(list, 'Author')) {
    if (author.attributes.ValidYN === 'N') continue
    const collective = textAt(author, 'CollectiveName')
    const family = textAt(author, 'LastName')
    let parsed: Author | undefined
    if (family) {
      parsed = { family }
      const given = textAt(author, 'ForeName') ?? textAt(author, 'Initials')
      if (given) parsed.given = given
    } else if (collective) {
      parsed = { family: collective, literal: true }
    }
    if (!parsed) continue
    const orcid = childrenNamed(author, 'Identifier').find((identifier) => identifier.attributes.Source === 'ORCID')
    const orcidMatch = /(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/i.exec(textOf(orcid) ?? '')
    if (orcidMatch) parsed.orcid = orcidMatch[1].toUpperCase()
    result.push(parsed)
  }
  return result
}

function pages(container: XmlElement | undefined): string | undefined {
  const pagination = child(container, 'Pagination')
  const medline = textAt(pagination, 'MedlinePgn')
  if (medline) return medline
  const start = textAt(pagination, 'StartPage')
  const end = textAt(pagination, 'EndPage')
  if (start) return end && end !== start ? `${start}-${end}` : start
  return undefined
}

function applyIds(record: ReferenceRecord, ids: XmlElement[]): void {
  for (const id of ids) {
    const value = textOf(id)
    switch (id.attributes.IdType) {
      case 'pubmed': record.pmid ??= normalizePmid(value); break
      case 'doi': record.doi ??= normalizeDoi(value); break
      case 'pmc': record.pmcid ??= normalizePmcid(value); break
    }
  }
}

/** Electronic locations: a DOI, or a publisher id that stands in for page numbers ("e0123456"). */
function applyElocations(record: ReferenceRecord, locations: XmlElement[]): void {
  for (const location of locations) {
    if (location.attributes.ValidYN === 'N') continue
    const value = textOf(location)
    if (location.attributes.EIdType === 'doi') record.doi ??= normalizeDoi(value)
    else if (location.attributes.EIdType === 'pii' && !record.pages && value) record.pages = value
  }
}

function keywords(container: XmlElement | undefined): string[] {
  const result: string[] = []
  for (const list of childrenNamed(container, 'KeywordList')) {
    for (const keyword of childrenNamed(list, 'Keyword')) {
      const text = textOf(keyword)
      if (text && !result.includes(text)) result.push(text)
    }
  }
  return result
}

/** PubMed publication types, most specific first; everything else is a journal article. */
const PUBLICATION_TYPES: Array<[RegExp, ReferenceType]> = [
  [/^preprint$/i, 'preprint'],
  [/^editorial$/i, 'editorial'],
  [/^letter$/i, 'letter'],
  [/^(review|systematic review|meta-analysis|scoping review)$/i, 'review'],
  [/^(news|newspaper article)$/i, 'news'],
  [/^(congress|clinical conference|consensus development conference.*)$/i, 'conference-paper'],
  [/^technical report$/i, 'report'],
  [/^dataset$/i, 'dataset']
]

function publicationType(types: XmlElement[]): ReferenceType {
  const names = types.map((type) => textOf(type) ?? '')
  for (const [pattern, type] of PUBLICATION_TYPES) {
    if (names.some((name) => pattern.test(name))) return type
  }
  return 'article'
}

function unique(values: Array<string | undefined>): string[] | undefined {
  const result: string[] = []
  for (const value of values) if (value && !result.includes(value)) result.push(value)
  return result.length > 0 ? result : undefined
}
