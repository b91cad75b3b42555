import t from 'tap'
import { csvFormat, xlsxFormat } from '../../src/references/formats/tabular.ts'
import type { FormatInput } from '../../src/references/formats/types.ts'
import type { ImportLimits } from '../../src/references/limits.ts'
import { parseAll, records } from './support.ts'
import { SHARED_STRINGS_CLOSE, SHARED_STRINGS_OPEN, SHEET_CLOSE, SHEET_OPEN, repeated, xlsxWorkbook } from '../support/xlsx-bomb.ts'

const limits: ImportLimits = { maxInflatedBytes: 1 << 20, maxRows: 100, maxCells: 1000, maxCellChars: 1000 }

function input(bytes: Buffer, withLimits: ImportLimits = limits): FormatInput {
  return {
    text: () => { throw new Error('binary input') },
    async * bytes () { for (let i = 0; i < bytes.length; i += 4096) yield bytes.subarray(i, i + 4096) },
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
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(csv)), async * text () { yield csv } }), /cell 2 of line 2 holds more than 1000 characters.*IMPORT_MAX_CELL_CHARS/)
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
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(csv)), async * text () { yield csv } }), /more than 1000 cells.*IMPORT_MAX_CELLS/)
})

t.test('a CSV quote never closed is refused after 4 cells of IMPORT_MAX_CELL_CHARS without a row, not read to the end', async (t) => {
  const head = 'Title,Abstract\nFirst,x\nBig,"'
  const text = async function * () { yield head; for (let i = 0; i < 64; i++) yield 'a'.repeat(1 << 20) }
  await t.rejects(parseAll(csvFormat, { ...input(Buffer.from(head), { ...limits, maxCellChars: 1_000_000 }), text }),
    /after line 2, more than 4000000 characters hold no complete row \(a quote never closed, or cells over IMPORT_MAX_CELL_CHARS\)/)
})
