import t from 'tap'
import { PassThrough } from 'node:stream'
import ExcelJS from 'exceljs'
import { parse } from 'csv-parse/sync'
import { toRis } from '../../src/export/ris.ts'
import { escapeLatex, toBibtex } from '../../src/export/bibtex.ts'
import { toCsv } from '../../src/export/csv.ts'
import { toCslJson } from '../../src/export/csl-json.ts'
import { writeXlsx } from '../../src/export/xlsx.ts'
import { writeExport } from '../../src/export/index.ts'
import { TABLE_COLUMNS } from '../../src/export/table.ts'
import type { ExportItem } from '../../src/export/item.ts'
import { emptyRecord } from '../../src/references/model.ts'
import type { ReferenceRecord } from '../../src/references/model.ts'

function record(fields: Partial<ReferenceRecord>): ReferenceRecord {
  return { ...emptyRecord(), ...fields }
}

const tricky: ExportItem = {
  record: record({
    title: 'Costs of 50% & more: C# {braces} $5 ~ ^ x_1 \\ "quoted", naïve',
    authors: [{ family: 'Müller', given: 'Anna-Lena' }, { family: 'World Health Organization', literal: true }],
    year: 2021,
    journal: 'J Med Internet Res',
    pages: '123-129',
    abstract: 'Background: first line.\nTY  - not a tag\n\nResults: second paragraph, with "quotes".',
    keywords: ['Colitis, Ulcerative', 'eHealth'],
    doi: '10.1000/x_y%z',
    url: 'https://example.org/a_b?c=1&d=%7B'
  }),
  decision: [{ stage: 'title_abstract', decision: 'include', reason: 'fits, "clearly"' }],
  tags: ['pilot']
}

t.test('RIS: CRLF lines, one AU per author, split pages, tag-like abstract lines protected, labels in N1', async (t) => {
  const text = [...toRis([tricky])].join('')
  t.match(text, /^TY {2}- JOUR\r\n/)
  t.match(text, /\r\nAU {2}- Müller, Anna-Lena\r\nAU {2}- World Health Organization\r\n/)
  t.match(text, /\r\nSP {2}- 123\r\nEP {2}- 129\r\n/)
  t.match(text, /\r\n TY {2}- not a tag\r\n/, 'a continuation line that looks like a tag is indented')
  t.match(text, /\r\nN1 {2}- AnalyLit decision: include \(stage: title_abstract\)\r\nN1 {2}- AnalyLit reason \(stage: title_abstract\): fits, "clearly"\r\n/)
  t.match(text, /\r\nKW {2}- pilot\r\n/)
  t.match(text, /ER {2}- \r\n\r\n$/)
  t.notMatch(text, /[^\r]\n/, 'every line ends with CRLF')
})

t.test('BibTeX: LaTeX specials escaped, corporate authors braced, unique keys, verbatim identifiers', async (t) => {
  t.equal(escapeLatex('50% & C# {x} $5 ~ ^ x_1 \\ p < .05 | a > b'),
    '50\\% \\& C\\# \\{x\\} \\$5 \\textasciitilde{} \\textasciicircum{} x\\_1 \\textbackslash{} p \\textless{} .05 \\textbar{} a \\textgreater{} b')
  const text = [...toBibtex([tricky, tricky, { record: record({ title: 'The untitled', year: 2000 }) }])].join('')
  t.match(text, /@article\{muller2021costs,\n/)
  t.match(text, /@article\{muller2021costsa,\n/)
  t.match(text, /@article\{anon2000untitled,\n/)
  t.match(text, /author += \{Müller, Anna-Lena and \{World Health Organization\}\}/)
  t.match(text, /pages += \{123--129\}/)
  t.match(text, /doi += \{10\.1000\/x_y%z\}/)
  t.match(text, /keywords += \{\{Colitis, Ulcerative\}, eHealth, pilot\}/)
  t.match(text, /note += \{AnalyLit decision: include \(stage: title\\_abstract\)\n/)
  // Braces balance within every entry: each entry's first "}" at depth 0 is its last character.
  for (const entry of text.split(/\n(?=@)/)) {
    let depth = 0
    let closedAt = -1
    const unescaped = entry.replace(/\\[{}]/g, '')
    for (let i = 0; i < unescaped.length && closedAt < 0; i++) {
      if (unescaped[i] === '{') depth++
      else if (unescaped[i] === '}' && --depth === 0) closedAt = i
    }
    t.equal(closedAt, unescaped.trimEnd().length - 1)
  }
})

t.test('CSV: RFC 4180 quoting, the documented header, label_included from the final decision', async (t) => {
  const items: ExportItem[] = [
    tricky,
    { record: record({ title: 'Excluded' }), decision: [{ stage: 'a', decision: 'include' }, { stage: 'b', decision: 'exclude', reason: 'design' }] },
    { record: record({ title: 'Unsure' }), decision: [{ stage: 'a', decision: 'maybe' }] },
    { record: record({ title: 'Unseen' }) }
  ]
  const text = [...toCsv(items)].join('')
  t.ok(text.startsWith(`${TABLE_COLUMNS.join(',')}\r\n`))
  t.match(text, /"Costs of 50% & more: C# \{braces\} \$5 ~ \^ x_1 \\ ""quoted"", naïve"/)
  const rows = parse(text, { columns: true }) as Array<Record<string, string>>
  t.equal(rows.length, 4)
  t.equal(rows[0].abstract, tricky.record.abstract, 'line breaks survive inside quotes')
  t.equal(rows[0].authors, 'Müller, Anna-Lena; World Health Organization')
  t.equal(rows[0].keywords, 'Colitis, Ulcerative; eHealth')
  t.same(rows.map((r) => r.label_included), ['1', '0', '', ''])
  t.same(rows.map((r) => r.decision), ['include', 'exclude', 'maybe', ''])
  t.equal(rows[1].reason, 'design')
  t.equal(rows[0].tags, 'pilot')
  t.ok([...toCsv([], { byteOrderMark: true })].join('').startsWith('\uFEFFtitle,'))
})

t.test('CSL-JSON: a valid array with CSL variables and labels in note', async (t) => {
  const items = JSON.parse([...toCslJson([tricky, { record: record({ title: 'Preprint', arxivId: '2101.00001', type: 'preprint' }) }])].join(''))
  t.equal(items.length, 2)
  t.equal(items[0].type, 'article-journal')
  t.same(items[0].author, [{ family: 'Müller', given: 'Anna-Lena' }, { literal: 'World Health Organization' }])
  t.same(items[0].issued, { 'date-parts': [[2021]] })
  t.equal(items[0].keyword, 'Colitis Ulcerative, eHealth, pilot')
  t.match(items[0].note, /^AnalyLit decision: include \(stage: title_abstract\)\nAnalyLit reason/)
  t.equal(items[1].note, 'arXiv: 2101.00001')
  t.not(items[0].id, items[1].id)
  t.same(JSON.parse([...toCslJson([])].join('')), [])
})

async function collect(stream: PassThrough): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

t.test('XLSX: one worksheet with the CSV columns, numbers as numbers, text as text', async (t) => {
  const out = new PassThrough()
  const bytes = collect(out)
  async function* items(): AsyncGenerator<ExportItem> {
    yield tricky
    yield { record: record({ title: '=HYPERLINK("http://evil")', year: 1999 }), decision: [{ stage: 's', decision: 'exclude' }] }
  }
  await writeXlsx(items(), out)
  const workbook = new ExcelJS.Workbook()
  const data = await bytes
  await workbook.xlsx.load(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer)
  const sheet = workbook.getWorksheet('References')!
  t.same((sheet.getRow(1).values as unknown[]).slice(1), [...TABLE_COLUMNS])
  const row2 = sheet.getRow(2)
  t.equal(row2.getCell(1).value, tricky.record.title)
  t.equal(row2.getCell(4).value, 2021)
  t.equal(row2.getCell(TABLE_COLUMNS.indexOf('label_included') + 1).value, 1)
  const row3 = sheet.getRow(3)
  t.equal(row3.getCell(1).value, '=HYPERLINK("http://evil")', 'a formula-like title stays text')
  t.equal(row3.getCell(TABLE_COLUMNS.indexOf('label_included') + 1).value, 0)
})

t.test('writeExport streams every format and ends the stream', async (t) => {
  for (const format of ['ris', 'bibtex', 'csv', 'csl-json', 'xlsx'] as const) {
    const out = new PassThrough({ highWaterMark: 16 })
    const bytes = collect(out)
    await writeExport(format, Array.from({ length: 50 }, () => tricky), out)
    const data = await bytes
    t.ok(data.length > 1000, `${format}: ${data.length} bytes`)
    t.ok(out.writableEnded, `${format}: stream ended`)
  }
})
