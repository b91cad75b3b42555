/**
 * Every export format read by an independent, well-kept reader instead of the project's own
 * importer (test/export/round-trip.test.ts), so that a bug shared by our writer and our reader
 * cannot hide: RIS by Citation.js (@citation-js/plugin-ris), CSL-JSON validated against the CSL
 * schema (test/fixtures/csl/csl-data.json) with ajv, XLSX by ExcelJS, CSV by csv-parse. BibTeX is
 * read by @retorquere/bibtex-parser in test/export/writers.test.ts.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { Ajv } from 'ajv'
import { Cite } from '@citation-js/core'
import '@citation-js/plugin-ris'
import { writeExport, type ExportFormatId, type ExportItem } from '../../src/export/index.ts'
import { TABLE_COLUMNS } from '../../src/export/table.ts'
import { emptyRecord, type ReferenceRecord } from '../../src/references/model.ts'

const record = (fields: Partial<ReferenceRecord>): ReferenceRecord => ({ ...emptyRecord(), ...fields })

const TRICKY_TITLE = 'Costs of 50%, "quoted" & more; naïve β-blockers =1+1, p < 0.05'
const items: ExportItem[] = [
  {
    record: record({
      title: TRICKY_TITLE, authors: [{ family: 'Müller', given: 'Anna-Lena' }, { family: 'van der Berg', given: 'Jan' }],
      year: 2021, journal: 'Journal of Medical Internet Research', volume: '23', issue: '4', pages: '123-129',
      abstract: 'Background: first line.\nResults: second line, with "quotes".', keywords: ['eHealth', 'insomnia'],
      doi: '10.2196/12345', pmid: '33000001', notes: ['Imported note']
    }),
    decision: [{ stage: 'title_abstract', decision: 'include', note: 'looks relevant' }],
    tags: ['pilot']
  },
  {
    record: record({ title: 'A book about screening', type: 'book', authors: [{ family: 'Lee', given: 'Kim' }], year: 2015, publisher: 'Springer' }),
    decision: [{ stage: 'title_abstract', decision: 'exclude', reason: 'wrong design' }]
  },
  { record: record({ title: 'Only a title' }) }
]

async function exported(format: ExportFormatId): Promise<Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await writeExport(format, items, out)
  return Buffer.concat(chunks)
}

t.test('RIS read by Citation.js', async (t) => {
  const csl = new Cite((await exported('ris')).toString('utf8')).data as Array<Record<string, unknown>>
  t.equal(csl.length, items.length, 'one reference per record')
  const [first, book] = csl
  t.equal(first.title, TRICKY_TITLE)
  t.equal(first.type, 'article-journal')
  t.same(first.author, [{ family: 'Müller', given: 'Anna-Lena' }, { family: 'van der Berg', given: 'Jan' }])
  t.same(first.issued, { 'date-parts': [[2021]] })
  t.equal(first['container-title'], 'Journal of Medical Internet Research')
  t.equal(first.volume, '23')
  t.equal(first.issue, '4')
  t.equal(first.page, '123-129')
  t.equal(first.DOI, '10.2196/12345')
  t.match(first.abstract, /^Background: first line\.\s+Results: second line, with "quotes"\.$/)
  // Notes (N1) carry the imported note and the screening labels.
  t.match(first.note, /Imported note/, 'the note, under the RIS tag for notes')
  t.match(first.note, /include/, 'the screening label, in the notes')
  t.equal(book.type, 'book')
  t.equal(book.publisher, 'Springer')
  t.equal(csl[2].title, 'Only a title')
})

t.test('CSL-JSON valid against the CSL schema', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../fixtures/csl/csl-data.json', import.meta.url), 'utf8'))
  const validate = new Ajv({ strict: false }).compile(schema)
  const data = JSON.parse((await exported('csl-json')).toString('utf8'))
  t.ok(validate(data), `valid CSL-JSON: ${JSON.stringify(validate.errors)}`)
  t.equal(data.length, items.length)
  t.equal(data[0].title, TRICKY_TITLE)
  t.same(data[0].author, [{ family: 'Müller', given: 'Anna-Lena' }, { family: 'van der Berg', given: 'Jan' }])
  t.same(data[0].issued, { 'date-parts': [[2021]] })
  // The schema is really applied: a wrong type is refused.
  t.notOk(validate([{ ...data[0], type: 'journal-article' }]), 'a type outside CSL is refused by the schema')
})

/** The expected cells, by hand: what a spreadsheet user must see. */
const EXPECTED_ROWS = [
  { title: TRICKY_TITLE, authors: 'Müller, Anna-Lena; van der Berg, Jan', year: '2021', doi: '10.2196/12345', pmid: '33000001', keywords: 'eHealth; insomnia', decision: 'include', tags: 'pilot', label_included: '1' },
  { title: 'A book about screening', authors: 'Lee, Kim', year: '2015', decision: 'exclude', reason: 'wrong design', label_included: '0' },
  { title: 'Only a title', authors: '', year: '', decision: '', label_included: '' }
]

t.test('CSV read by csv-parse', async (t) => {
  const rows = parseCsv((await exported('csv')).toString('utf8'), { columns: true, bom: true }) as Array<Record<string, string>>
  t.same(Object.keys(rows[0]), [...TABLE_COLUMNS], 'the header')
  t.equal(rows.length, EXPECTED_ROWS.length)
  rows.forEach((row, i) => t.match(row, EXPECTED_ROWS[i], `row ${i + 1}`))
  t.equal(rows[0].abstract, 'Background: first line.\nResults: second line, with "quotes".', 'a line break and quotes inside a cell')
})

t.test('XLSX read by ExcelJS', async (t) => {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await exported('xlsx') as unknown as ArrayBuffer)
  t.equal(workbook.worksheets.length, 1)
  const sheet = workbook.worksheets[0]
  const header = (sheet.getRow(1).values as unknown[]).slice(1)
  t.same(header, [...TABLE_COLUMNS], 'the header')
  t.equal(sheet.actualRowCount, EXPECTED_ROWS.length + 1)
  EXPECTED_ROWS.forEach((expected, i) => {
    const cells = sheet.getRow(i + 2)
    const row = Object.fromEntries(TABLE_COLUMNS.map((c, k) => [c, cells.getCell(k + 1).value]))
    t.match(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)])), expected, `row ${i + 1}`)
  })
  t.equal(sheet.getRow(2).getCell(TABLE_COLUMNS.indexOf('year') + 1).value, 2021, 'a year is a number')
})
