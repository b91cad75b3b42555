import t from 'tap'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ExcelJS from 'exceljs'
import { parse as parseCsvSync } from 'csv-parse/sync'
import { csvFormat, parseAuthorList, splitList, tsvFormat, xlsxFormat } from '../../src/references/formats/tabular.ts'
import type { FormatInput, ReferenceFormat } from '../../src/references/formats/types.ts'
import type { ParsedItem, ReferenceRecord } from '../../src/references/model.ts'
import { fileInput, parseAll, records, textInput } from './support.ts'

const datasets = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url))
const exportsDir = `${datasets}exports/`
const skip = existsSync(datasets) ? false : 'shared datasets are not available'

function bytesInput(bytes: Uint8Array): FormatInput {
  return {
    text: () => { throw new Error('binary input') },
    async* bytes() { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096) }
  }
}

const head = (name: string): string => readFileSync(`${exportsDir}${name}`, 'utf8').slice(0, 65536)

const collect = (input: FormatInput, format: ReferenceFormat = csvFormat): Promise<ParsedItem[]> => parseAll(format, input)

t.test('sniffers pick CSV or TSV from the header and refuse other formats', { skip }, async (t) => {
  for (const name of ['generic.csv', 'generic_semicolon.csv', 'embase.csv', 'missing_values.csv', 'record_id.csv', 'generic_labels_no_title.csv', 'duplicate_records.csv']) {
    t.ok(csvFormat.sniff(head(name), name), `${name} is CSV`)
    t.notOk(tsvFormat.sniff(head(name), name), `${name} is not TSV`)
  }
  for (const name of ['generic_tab.tsv', 'generic_tab.csv']) {
    t.ok(tsvFormat.sniff(head(name), name), `${name} is TSV`)
    t.notOk(csvFormat.sniff(head(name), name), `${name} is not comma-separated`)
  }
  for (const name of ['scopus.ris', 'web_of_science.txt', 'pubmed_endnote.txt', 'analylit-zotero.csl.json', 'analylit-zotero.rdf']) {
    t.notOk(csvFormat.sniff(head(name), name), `${name} is not CSV`)
    t.notOk(tsvFormat.sniff(head(name), name), `${name} is not TSV`)
  }
  t.notOk(csvFormat.sniff('record_id,score,comment\n1,2,x\n'), 'a table without title or abstract column')
  t.notOk(csvFormat.sniff('@article{key,\n  title = {A, B}\n}'))
  t.notOk(xlsxFormat.sniff('TY  - JOUR\n'))
  t.ok(xlsxFormat.sniff('PK\u0003\u0004\u0014\u0000[Content_Types].xml...xl/workbook.xml'))
})

t.test('generic ASReview export: every column mapped field by field', { skip }, async (t) => {
  const items = await collect(fileInput(`${exportsDir}generic.csv`, 500))
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [['record', 2, 0], ['record', 3, 1]])
  const [first, second] = records(items)
  t.equal(first.title, 'Title of reference')
  t.match(first.abstract, /^BACKGROUND: Lorem ipsum dolor sit amet, consectetuer adipiscing elit\./)
  t.same(first.authors, [{ family: 'Marx', given: 'Karl' }, { family: 'Lindgren', given: 'Astrid' }], 'Python list of "Family, Given"')
  t.equal(first.year, 2014, 'from "2014//"')
  t.same(first.keywords, ['Pippi', 'Nordwind', 'Piraten'])
  t.same(first.issn, ['1932-6208'])
  t.equal(first.volume, '9')
  t.equal(first.issue, '3', 'from the "number" column')
  t.equal(first.pages, 'e0815', 'from start_page')
  t.equal(first.publisher, 'Fun Factory')
  t.equal(first.url, 'http://example_url.com')
  t.equal(first.type, 'article', 'type_of_reference JOUR')
  t.equal(first.label, undefined)
  t.equal((first.original as Record<string, string>).place_published, 'United States')
  t.equal((first.original as Record<string, string>).secondary_authors, "['Glattauer, Daniel']")
  t.equal(second.year, 2006)
  t.same(second.keywords, ['Pippi Langstrumpf', 'Nordwind', 'Piraten'])
})

t.test('comma, semicolon and tab variants of the same sheet import identically', { skip }, async (t) => {
  const strip = (all: ReferenceRecord[]) => all.map(({ original: _original, ...rest }) => rest)
  const reference = strip(records(await collect(fileInput(`${exportsDir}generic.csv`))))
  t.same(strip(records(await collect(fileInput(`${exportsDir}generic_semicolon.csv`)))), reference)
  t.same(strip(records(await collect(fileInput(`${exportsDir}generic_tab.tsv`), tsvFormat))), reference)
  t.same(strip(records(await collect(fileInput(`${exportsDir}generic_tab.csv`), csvFormat))), reference, 'a tab-separated .csv read as CSV still works')
  t.same(strip(records(await collect(fileInput(`${exportsDir}generic_column_names_with_spaces.csv`)))), reference, '"abstract " column')
})

t.test('label columns: full, partial, no title, no abstract, record ids, final_included', { skip }, async (t) => {
  const labels = async (name: string) => records(await collect(fileInput(`${exportsDir}${name}`))).map((record) => record.label ?? null)
  t.same(await labels('generic_labels.csv'), ['include', 'exclude', 'include', 'exclude', 'include', 'exclude'])
  t.same(await labels('generic_partial_labels.csv'), ['include', 'exclude', null, null, 'include', 'exclude'])
  t.same(await labels('generic_bad_record_id.csv'), ['include', 'exclude', 'include', 'exclude', 'include', 'exclude'])
  t.same(await labels('record_id.csv'), ['include', 'exclude', null, null, null, null, null, null, null, null])
  const noTitle = records(await collect(fileInput(`${exportsDir}generic_labels_no_title.csv`)))
  t.equal(noTitle.length, 6)
  t.ok(noTitle.every((record) => record.title === undefined && record.abstract?.startsWith('BACKGROUND')))
  const noAbstract = records(await collect(fileInput(`${exportsDir}generic_labels_no_abs.csv`)))
  t.equal(noAbstract.length, 6)
  t.ok(noAbstract.every((record) => record.abstract === undefined && record.title))
  const badIds = records(await collect(fileInput(`${exportsDir}generic_bad_record_id.csv`)))
  t.same(badIds.map((record) => (record.original as Record<string, string>).record_id), ['0', '0', '3', '4f', '5', '7'], 'ids stay in original only')
})

t.test('missing values and rows without title, abstract or identifier', { skip }, async (t) => {
  const missing = await collect(fileInput(`${exportsDir}missing_values.csv`))
  t.same(missing.map((item) => item.kind), ['record', 'record', 'record', 'record'])
  const [titleOnly, abstractOnly] = records(missing)
  t.equal(titleOnly.title, 'Title of reference')
  t.equal(titleOnly.abstract, undefined)
  t.equal(abstractOnly.title, undefined)
  t.match(abstractOnly.abstract, /^BACKGROUND/)

  const duplicates = await collect(fileInput(`${exportsDir}duplicate_records.csv`))
  t.same(duplicates.map((item) => item.kind), [...Array(10).fill('record'), ...Array(4).fill('error')])
  t.same(duplicates.slice(10).map((item) => item.position.line), [12, 13, 14, 15])
  const error = duplicates[10]
  if (error.kind === 'error') t.match(error.message, /no title, abstract or identifier.*DOI "10\.4" is not valid/)
  const [a1, a2] = records(duplicates)
  t.equal(a1.title, 'a')
  t.equal(a2.title, 'a')
  t.equal(a1.doi, undefined, '"10.1" is not a DOI')
  t.equal((a1.original as Record<string, string>).doi, '10.1')
})

t.test('Embase CSV: authors "Family Initials", source citation and OpenURL identifiers', { skip }, async (t) => {
  const all = records(await collect(fileInput(`${exportsDir}embase.csv`, 1000)))
  t.equal(all.length, 6)
  const first = all[0]
  t.equal(first.title, 'Duplication cysts: Diagnosis, management, and the role of endoscopic ultrasound')
  t.same(first.authors, [{ family: 'Liu', given: 'R.' }, { family: 'Adler', given: 'D.G.' }])
  t.equal(first.journal, 'Endoscopic Ultrasound')
  t.equal(first.year, 2014)
  t.equal(first.volume, '3')
  t.equal(first.issue, '3')
  t.equal(first.pages, '152-160')
  t.equal(first.doi, '10.4103/2303-9027.138783')
  t.same(first.issn, ['2226-7190'])
  t.equal(first.keywords[1], 'bronchogenic duplication cyst (diagnosis, surgery)', 'commas inside parentheses do not split')
  const third = all[2]
  t.equal(third.journal, 'International Journal of Surgery Case Reports')
  t.equal(third.volume, '54')
  t.equal(third.issue, undefined)
  t.equal(third.pages, '83-86')
  t.equal(third.authors.length, 12)

  const newPage = await collect(fileInput(`${exportsDir}embase_newpage.csv`, 1000))
  t.same(newPage.map((item) => item.position.line), [2, 5, 8, 11, 14, 17], 'abstracts with line breaks shift the line numbers')
  const firstNewPage = records(newPage)[0]
  t.match(firstNewPage.abstract, /^TEST\n\nGastrointestinal tract duplication cysts/)
})

t.test('Cohen 2006 and Kitchenham 2010 screening datasets import with their labels', { skip }, async (t) => {
  const expected: Array<[string, number, number]> = [
    ['Cohen_2006/ADHD.csv', 851, 20], ['Cohen_2006/Antihistamines.csv', 310, 16], ['Cohen_2006/Estrogens.csv', 368, 80],
    ['Cohen_2006/OralHypoglycemics.csv', 503, 136], ['Cohen_2006/Opiods.csv', 1915, 15],
    ['Cohen_2006/SkeletalMuscleRelaxants.csv', 1643, 9], ['Kitchenham_2010.csv', 1704, 45]
  ]
  for (const [name, count, included] of expected) {
    const items = await collect(fileInput(`${datasets}screening/${name}`, 64 * 1024))
    const all = records(items)
    t.equal(all.length, count, `${name}: records`)
    t.equal(all.filter((record) => record.label === 'include').length, included, `${name}: included`)
    t.equal(all.filter((record) => record.label === 'exclude').length, count - included, `${name}: excluded`)
  }
  const adhd = records(await collect(fileInput(`${datasets}screening/Cohen_2006/ADHD.csv`)))
  const first = adhd[0]
  t.equal(first.pmid, '10051933')
  t.equal(first.year, 1999, 'from "1999.0"')
  t.same(first.authors.slice(0, 2), [{ family: 'Reimer', given: 'E J' }, { family: 'Dunn', given: 'G S' }])
  t.equal(first.title, 'The effectiveness of clonidine as an analgesic in paediatric adenotonsillectomy.')
  const untitled = adhd.filter((record) => !record.title)
  t.equal(untitled.length, 24, 'rows without title or abstract are kept for their PMID')
  t.ok(untitled.every((record) => record.pmid))
  const kitchenham = records(await collect(fileInput(`${datasets}screening/Kitchenham_2010.csv`)))
  t.notMatch(kitchenham[1].abstract, /<p>/, 'HTML paragraphs removed')
  t.match(kitchenham[1].abstract, /^Requirements engineering research has been conducted/)
})

t.test('decision words and list syntaxes', async (t) => {
  const csv = 'Title;Included;Authors;Keywords\n' +
    'A;yes;Smith, J., Doe, A.;x; y\n' +
    'B;No;Smith, John;\n' +
    'C;include;Jane Doe and John Smith;\n' +
    'D;Excluded;;\n' +
    'E;-1;"[""O\'Brien, P""]";\n' +
    'F;maybe;;\n' +
    'G;;;\n'
  const all = records(await collect(textInput(csv, 7)))
  t.same(all.map((record) => record.label ?? null), ['include', 'exclude', 'include', 'exclude', null, 'maybe', null])
  t.same(all[0].authors, [{ family: 'Smith', given: 'J.' }, { family: 'Doe', given: 'A.' }])
  t.same(all[1].authors, [{ family: 'Smith', given: 'John' }])
  t.same(all[2].authors, [{ family: 'Doe', given: 'Jane' }, { family: 'Smith', given: 'John' }])
  t.same(all[4].authors, [{ family: "O'Brien", given: 'P' }])
  t.same(parseAuthorList('Eloubeidi M.A., Cohn M., Cerfolio R.J.').map((author) => author.family), ['Eloubeidi', 'Cohn', 'Cerfolio'])
  t.same(parseAuthorList('E J Reimer; G S Dunn'), [{ family: 'Reimer', given: 'E J' }, { family: 'Dunn', given: 'G S' }])
  t.same(splitList("['a, b', 'c']"), ['a, b', 'c'])
  t.same(splitList('one; two;three'), ['one', 'two', 'three'])
})

t.test('a quote never closed ends the file with an error at the line it opened', async (t) => {
  const csv = 'title,abstract\n"Fine","ok"\n"Broken,oops\nThird,row\n'
  const items = await collect(textInput(csv, 5))
  t.equal(items[0].kind, 'record')
  const last = items[items.length - 1]
  t.equal(last.kind, 'error')
  t.equal(last.position.line, 3)
})

t.test('a file without a title or abstract column is refused', async (t) => {
  await t.rejects(collect(textInput('id,score\n1,2\n')), /no title or abstract column/)
})

/** The rows of a CSV file as written, read by csv-parse's synchronous API (independent of the importer). */
function csvRows(path: string): string[][] {
  return parseCsvSync(readFileSync(path, 'utf8'), { relax_column_count: true }) as string[][]
}

async function workbookBytes(fill: (workbook: ExcelJS.Workbook) => void): Promise<Uint8Array> {
  const workbook = new ExcelJS.Workbook()
  fill(workbook)
  return new Uint8Array(await workbook.xlsx.writeBuffer())
}

t.test('an XLSX copy of a CSV export imports exactly like the CSV', { skip }, async (t) => {
  const path = `${exportsDir}generic_labels.csv`
  const bytes = await workbookBytes((workbook) => {
    const sheet = workbook.addWorksheet('references')
    for (const row of csvRows(path)) sheet.addRow(row)
  })
  t.ok(xlsxFormat.sniff(new TextDecoder('latin1').decode(bytes.subarray(0, 65536)), 'references.xlsx'))
  const fromXlsx = await collect(bytesInput(bytes), xlsxFormat)
  const fromCsv = await collect(fileInput(path))
  t.equal(fromXlsx.length, 6)
  t.same(records(fromXlsx), records(fromCsv))
  t.same(fromXlsx.map((item) => item.position), fromCsv.map((item) => item.position), 'rows numbered like lines')
})

t.test('XLSX cells of every kind become text; only the first worksheet is read', async (t) => {
  const bytes = await workbookBytes((workbook) => {
    const sheet = workbook.addWorksheet('export')
    sheet.addRow([])
    sheet.addRow(['Title', 'Publication Year', 'DOI', 'URL', 'Pages', 'label_included', 'Date added'])
    sheet.addRow([
      { richText: [{ text: 'Alliance in ' }, { font: { italic: true }, text: 'digital' }, { text: ' care' }] },
      2021,
      { text: '10.2196/12345', hyperlink: 'https://doi.org/10.2196/12345' },
      { text: 'https://example.org/a', hyperlink: 'https://example.org/a' },
      { formula: '"1"&"-"&"9"', result: '1-9' },
      1,
      new Date(Date.UTC(2024, 4, 17))
    ])
    sheet.addRow([null, null, null])
    sheet.addRow(['Second', '2020', null, null, null, 0])
    sheet.addRow([null, null, 'not-a-doi'])
    const other = workbook.addWorksheet('notes')
    other.addRow(['Title'])
    other.addRow(['Must not be imported'])
  })
  const items = await collect(bytesInput(bytes), xlsxFormat)
  t.same(items.map((item) => [item.kind, item.position.line, item.position.index]), [
    ['record', 3, 0], ['record', 5, 1], ['error', 6, 2]
  ])
  const [first, second] = records(items)
  t.equal(first.title, 'Alliance in digital care')
  t.equal(first.year, 2021)
  t.equal(first.doi, '10.2196/12345')
  t.equal(first.url, 'https://example.org/a')
  t.equal(first.pages, '1-9')
  t.equal(first.label, 'include')
  t.equal((first.original as Record<string, string>)['Date added'], '2024-05-17')
  t.equal(second.title, 'Second')
  t.equal(second.label, 'exclude')
})
