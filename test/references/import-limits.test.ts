import t from 'tap'
import { csvFormat, xlsxFormat } from '../../src/references/formats/tabular.ts'
import { risFormat } from '../../src/references/formats/ris.ts'
import { medlineFormat } from '../../src/references/formats/medline.ts'
import { wosFormat } from '../../src/references/formats/wos.ts'
import { bibtexFormat } from '../../src/references/formats/bibtex.ts'
import { cslJsonFormat } from '../../src/references/formats/csl-json.ts'
import { pubmedXmlFormat } from '../../src/references/formats/pubmed-xml.ts'
import { endnoteXmlFormat } from '../../src/references/formats/endnote-xml.ts'
import { zoteroRdfFormat } from '../../src/references/formats/zotero-rdf.ts'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ImportLimits } from '../../src/references/limits.ts'
import { parseAll, records, textInput } from './support.ts'
import { SHARED_STRINGS_CLOSE, SHARED_STRINGS_OPEN, SHEET_CLOSE, SHEET_OPEN, repeated, xlsxWorkbook } from '../support/xlsx-bomb.ts'

const limits: ImportLimits = { maxInflatedBytes: 1 << 20, maxRows: 100, maxCells: 1000, maxCellChars: 1000, maxRecordChars: 10_000 }

function input(bytes: Buffer, withLimits: ImportLimits = limits): FormatInput {
  return {
    text: () => { throw new Error('binary input') },
    async* bytes() { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096) },
    limits: withLimits
  }
}

const header = ['Title', 'Authors', 'Year', 'DOI']

t.test('a workbook within the limits reads as before', async (t) => {
  const bytes = await xlsxWorkbook({ rows: [header, ['Alliance & chatbots', 'Doe, Jane; Roe, Richard', '2021', '10.1000/a'], ['Second', '', '2020', '']] })
  const items = await parseAll(xlsxFormat, input(bytes))
  t.same(records(items).map((r) => [r.title, r.authors.length, r.year, r.doi]), [['Alliance & chatbots', 2, 2021, '10.1000/a'], ['Second', 0, 2020, undefined]])
  t.same(items.map((item) => item.position.line), [2, 3])
})

t.test('a shared-strings bomb stops at IMPORT_MAX_INFLATED_BYTES, whatever sizes the archive declares', async (t) => {
  const bomb = (declared?: number) => xlsxWorkbook({
    rows: [header],
    sharedStrings: [SHARED_STRINGS_OPEN, ...repeated('<si><t>Title</t></si>', 8 << 20), SHARED_STRINGS_CLOSE],
    declaredSizes: declared === undefined ? {} : { 'xl/sharedStrings.xml': declared }
  })
  const honest = await bomb()
  t.ok(honest.length < 64 * 1024, `8 MiB of XML in ${honest.length} bytes`)
  const many = { ...limits, maxCells: 1e9 }
  await t.rejects(parseAll(xlsxFormat, input(honest, many)), /over the limit of 1048576 bytes uncompressed per upload \(IMPORT_MAX_INFLATED_BYTES\)/)
  await t.rejects(parseAll(xlsxFormat, input(await bomb(100), many)), /inflates to more, over the limit of 1048576 bytes .*IMPORT_MAX_INFLATED_BYTES/)
  // the same bomb in the worksheet
  const sheetBomb = await xlsxWorkbook({ rows: [header], sheet: [SHEET_OPEN, ...repeated('<row><c t="inlineStr"><is><t>x</t></is></c></row>', 8 << 20), SHEET_CLOSE] })
  await t.rejects(parseAll(xlsxFormat, input(sheetBomb, { ...limits, maxRows: 1e9, maxCells: 1e9 })), /IMPORT_MAX_INFLATED_BYTES/)
})

t.test('a cell, shared string or attribute longer than IMPORT_MAX_CELL_CHARS is refused while it is read', async (t) => {
  const long = 'a'.repeat(200_000)
  await t.rejects(parseAll(xlsxFormat, input(await xlsxWorkbook({ rows: [header, [long]] }))),
    /holds more than 1000 characters, the limit per cell \(IMPORT_MAX_CELL_CHARS\)/)
  const inline = await xlsxWorkbook({ rows: [header], sheet: [SHEET_OPEN, `<row r="2"><c r="A2" t="inlineStr"><is><t>${long}</t></is></c></row>`, SHEET_CLOSE] })
  await t.rejects(parseAll(xlsxFormat, input(inline)), /IMPORT_MAX_CELL_CHARS/)
  const attribute = await xlsxWorkbook({ rows: [header], sheet: [SHEET_OPEN, `<row r="2" x="${long}"></row>`, SHEET_CLOSE] })
  await t.rejects(parseAll(xlsxFormat, input(attribute)), /IMPORT_MAX_CELL_CHARS/)
  const csv = `Title,Abstract\nShort,${long}\n`
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(csv)), async* text() { yield csv } }), /cell 2 of line 2 holds more than 1000 characters.*IMPORT_MAX_CELL_CHARS/)
})

t.test('rows, cells and shared strings are counted against IMPORT_MAX_ROWS and IMPORT_MAX_CELLS', async (t) => {
  const rows = Array.from({ length: 150 }, (_, i) => [`Title ${i}`])
  await t.rejects(parseAll(xlsxFormat, input(await xlsxWorkbook({ rows: [['Title'], ...rows] }))), /more than 100 records or rows.*IMPORT_MAX_ROWS/)
  const wide = Array.from({ length: 50 }, (_, i) => Array.from({ length: 25 }, (_, j) => `${i}.${j}`))
  await t.rejects(parseAll(xlsxFormat, input(await xlsxWorkbook({ rows: [header, ...wide] }), { ...limits, maxCells: 1000 })),
    /more than 1000 shared strings.*IMPORT_MAX_CELLS/)
  const cells = await xlsxWorkbook({ rows: [header], sheet: [SHEET_OPEN, ...repeated('<row><c><v>1</v></c><c><v>2</v></c></row>', 100_000), SHEET_CLOSE] })
  await t.rejects(parseAll(xlsxFormat, input(cells, { ...limits, maxRows: 1e9 })), /more than 1000 cells.*IMPORT_MAX_CELLS/)
  const csv = `Title,${'x,'.repeat(30)}y\n${'t,'.repeat(31)}u\n`.repeat(20)
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(csv)), async* text() { yield csv } }), /more than 1000 cells.*IMPORT_MAX_CELLS/)
})

t.test('a CSV quote never closed is refused after 4 cells of IMPORT_MAX_CELL_CHARS without a row, not read to the end', async (t) => {
  const head = 'Title,Abstract\nFirst,x\nBig,"'
  const text = async function* () { yield head; for (let i = 0; i < 64; i++) yield 'a'.repeat(1 << 20) }
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(head), { ...limits, maxCellChars: 1_000_000 }), text }),
    /after line 2, more than 4000000 characters hold no complete row \(a quote never closed, or cells over IMPORT_MAX_CELL_CHARS\)/)
})

/** One record of each text format with the given title, abstract (its lines kept as lines where the format allows) and keywords. */
interface TextFormat { format: ReferenceFormat; file (records: Array<{ title: string; abstract: string; keywords: string[] }>): string }
const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;')
const textFormats: Record<string, TextFormat> = {
  RIS: {
    format: risFormat,
    file: (rs) => rs.map((r) => `TY  - JOUR\nTI  - ${r.title}\nAB  - ${r.abstract}\n${r.keywords.map((k) => `KW  - ${k}\n`).join('')}ER  - \n\n`).join('')
  },
  MEDLINE: {
    format: medlineFormat,
    file: (rs) => rs.map((r, i) => `PMID- ${i + 1}\nTI  - ${r.title}\nAB  - ${r.abstract.replace(/\n/g, '\n      ')}\n${r.keywords.map((k) => `OT  - ${k}\n`).join('')}\n`).join('')
  },
  WoS: {
    format: wosFormat,
    file: (rs) => 'FN Clarivate Analytics Web of Science\nVR 1.0\n' +
      rs.map((r) => `PT J\nTI ${r.title}\nAB ${r.abstract.replace(/\n/g, '\n   ')}\n${r.keywords.length > 0 ? `AU ${r.keywords.join('\n   ')}\n` : ''}ER\n\n`).join('') + 'EF\n'
  },
  BibTeX: {
    format: bibtexFormat,
    file: (rs) => rs.map((r, i) => `@article{k${i},\n  title = {${r.title}},\n  abstract = {${r.abstract}},\n  keywords = {${r.keywords.join(',\n    ')}}\n}\n`).join('')
  },
  'CSL-JSON': {
    format: cslJsonFormat,
    file: (rs) => JSON.stringify(rs.map((r, i) => ({ id: `k${i}`, type: 'article-journal', title: r.title, abstract: r.abstract, keyword: r.keywords })), null, 1)
  },
  'PubMed XML': {
    format: pubmedXmlFormat,
    file: (rs) => '<?xml version="1.0"?>\n<PubmedArticleSet>\n' + rs.map((r, i) => `<PubmedArticle><MedlineCitation><PMID>${i + 1}</PMID><Article><ArticleTitle>${esc(r.title)}</ArticleTitle>` +
      `<Abstract><AbstractText>${esc(r.abstract)}</AbstractText></Abstract></Article><KeywordList>\n${r.keywords.map((k) => `<Keyword>${esc(k)}</Keyword>\n`).join('')}</KeywordList></MedlineCitation></PubmedArticle>\n`).join('') +
      '</PubmedArticleSet>\n'
  },
  'EndNote XML': {
    format: endnoteXmlFormat,
    file: (rs) => '<?xml version="1.0" encoding="UTF-8"?><xml><records>\n' + rs.map((r, i) => `<record><rec-number>${i + 1}</rec-number><titles><title>${esc(r.title)}</title></titles>` +
      `<abstract>${esc(r.abstract)}</abstract><keywords>\n${r.keywords.map((k) => `<keyword>${esc(k)}</keyword>\n`).join('')}</keywords></record>\n`).join('') + '</records></xml>\n'
  },
  'Zotero RDF': {
    format: zoteroRdfFormat,
    file: (rs) => '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:z="http://www.zotero.org/namespaces/export#" ' +
      'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:bib="http://purl.org/net/biblio#" xmlns:dc="http://purl.org/dc/elements/1.1/">\n' +
      rs.map((r, i) => `<bib:Article rdf:about="#item_${i}"><z:itemType>journalArticle</z:itemType><dc:title>${esc(r.title)}</dc:title>` +
        `<dcterms:abstract>${esc(r.abstract)}</dcterms:abstract>\n${r.keywords.map((k) => `<dc:subject>${esc(k)}</dc:subject>\n`).join('')}</bib:Article>\n`).join('') + '</rdf:RDF>\n'
  }
}

const recordLimits: ImportLimits = { ...limits, maxRecordChars: 10_000 }
const small = { title: 'A small record', abstract: 'Short.', keywords: ['alliance'] }
const oversized = {
  'a single long line': { title: 'Long line', abstract: 'a'.repeat(20_000), keywords: [] },
  'a long field over many lines': { title: 'Long field', abstract: Array.from({ length: 50 }, (_, i) => `line ${i} ${'b'.repeat(390)}`).join('\n'), keywords: [] },
  'one big record of short fields': { title: 'Many keywords', abstract: 'Short.', keywords: Array.from({ length: 1000 }, (_, i) => `keyword number ${i}`) }
}

for (const [name, { format, file }] of Object.entries(textFormats)) {
  t.test(`${name}: a record over IMPORT_MAX_RECORD_CHARS is refused while it is read, one just under it imports`, async (t) => {
    for (const [what, record] of Object.entries(oversized)) {
      const text = file([small, record, small])
      for (const chunkSize of [text.length, 1000]) {
        await t.rejects(parseAll(format, { ...textInput(text, chunkSize), limits: recordLimits }),
          /the file is refused: .*line \d+ holds more than 10000 characters, the limit per record \(IMPORT_MAX_RECORD_CHARS\)/, `${what}, in chunks of ${chunkSize}`)
      }
      // the default limit lets it through
      t.equal(records(await parseAll(format, textInput(text))).length, 3, `${what}: imported under the default limit`)
    }
    const under = { title: 'Just under', abstract: Array.from({ length: 8 }, (_, i) => `line ${i} ${'c'.repeat(990)}`).join('\n'), keywords: ['k1', 'k2'] }
    const text = file([small, under, small, under])
    for (const chunkSize of [text.length, 1000]) {
      const items = await parseAll(format, { ...textInput(text, chunkSize), limits: recordLimits })
      t.same(records(items).map((r) => r.title), ['A small record', 'Just under', 'A small record', 'Just under'], `chunks of ${chunkSize}`)
      t.match(records(items)[1].abstract, /^line 0 c+/)
      t.ok(records(items)[1].abstract!.length > 7900)
    }
  })
}

t.test('a field that never ends is refused after IMPORT_MAX_RECORD_CHARS characters, not read to the end', async (t) => {
  const rdf = '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:bib="http://purl.org/net/biblio#">\n'
  const heads: Array<[ReferenceFormat, string, RegExp]> = [
    [risFormat, 'TY  - JOUR\nTI  - Endless\nAB  - ', /line 3 holds|the record being read at line 12 holds/],
    [medlineFormat, 'PMID- 1\nTI  - Endless\nAB  - ', /line 3 holds|the record being read at line 12 holds/],
    [wosFormat, 'FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAB ', /line 4 holds|the record being read at line 13 holds/],
    [bibtexFormat, '@article{k,\n  abstract = {', /the @article entry at line 1 holds/],
    [cslJsonFormat, '[{"type": "article-journal", "abstract": "', /the item starting on line 1 holds/],
    [pubmedXmlFormat, '<PubmedArticleSet>\n<PubmedArticle><MedlineCitation><PMID>1</PMID><Article><Abstract><AbstractText>', /the <PubmedArticle> element starting on line 2 holds/],
    [endnoteXmlFormat, '<xml><records>\n<record><rec-number>1</rec-number><abstract>', /the <record> element starting on line 2 holds/],
    [zoteroRdfFormat, `${rdf}<bib:Article rdf:about="#i"><dcterms:abstract>`, /the <bib:Article> element starting on line 2 holds/],
    // what saxes holds outside records: text in the root, a comment, an attribute of a record element
    [pubmedXmlFormat, '<PubmedArticleSet>\n', /text outside any record, from line 1 holds/],
    [endnoteXmlFormat, '<xml><records>\n<!-- ', /text outside any record, from line 1 holds/],
    [zoteroRdfFormat, `${rdf}<bib:Article rdf:about="`, /the <bib:Article> element starting on line 2 holds/]
  ]
  for (const [format, head, where] of heads) {
    for (const piece of ['a'.repeat(1000), `${'a'.repeat(999)}\n`]) {
      let read = 0
      const text = async function* () {
        yield head
        for (; read < 1000; read++) yield piece
      }
      await t.rejects(parseAll(format, { ...textInput(head), text, limits: recordLimits }), where, `${format.id}: ${JSON.stringify(head.slice(-20))}`)
      t.ok(read <= 12, `${format.id} stopped after ${read} pieces of 1000 characters`)
    }
  }
})
