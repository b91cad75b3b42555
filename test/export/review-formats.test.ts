/**
 * Extraction and risk-of-bias data in the reference exports (src/export/review.ts), read by the
 * independent readers of independent-readers.test.ts: RIS by Citation.js, BibTeX by
 * @retorquere/bibtex-parser, CSL-JSON against the CSL schema (ajv), CSV by csv-parse, XLSX by ExcelJS.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { PassThrough } from 'node:stream'
import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { Ajv } from 'ajv'
import { Cite } from '@citation-js/core'
import '@citation-js/plugin-ris'
import { parse as parseBibtex } from '@retorquere/bibtex-parser'
import { writeExport, type ExportFormatId, type ExportItem, type ReviewColumns } from '../../src/export/index.ts'
import { TABLE_COLUMNS } from '../../src/export/table.ts'
import { emptyRecord, type ReferenceRecord } from '../../src/references/model.ts'
import { exportAndImport } from '../support/export.ts'
import { carriedDecisions } from '../../src/export/labels.ts'

const record = (fields: Partial<ReferenceRecord>): ReferenceRecord => ({ ...emptyRecord(), ...fields })

const columns: ReviewColumns = { extraction: ['sample_size', 'design', 'outcomes.arm', 'outcomes.n'], rob: ['D1', 'D2', 'D3', 'D4', 'D5'] }
const low = { D1: 'low', D2: 'low', D3: 'low', D4: 'low', D5: 'low' }
const items: ExportItem[] = [
  {
    record: record({ title: 'A chatbot trial', year: 2023, doi: '10.1/a', notes: ['AnalyLit extraction (consensus) design: stale from an earlier export', 'Own note'] }),
    decision: [{ stage: 'title_abstract', decision: 'include' }],
    review: {
      extraction: { grid: 'Trials', gridVersion: 2, source: 'consensus', values: { sample_size: '120', design: 'RCT', 'outcomes.arm': 'app | usual care', 'outcomes.n': '60 | 60' } },
      rob: { tool: 'rob2', assessments: [
        { outcome: 'depression', source: 'consensus', domains: { ...low, D3: 'high' }, overall: 'high' },
        { outcome: 'quality of life', source: 'bob@example.org', domains: { ...low, D2: 'some concerns' }, overall: 'some concerns' }
      ] }
    }
  },
  {
    record: record({ title: 'A cohort' }),
    review: { extraction: { grid: 'Trials', gridVersion: 1, source: 'bob@example.org', values: { sample_size: '=1+1', design: 'cohort' } } }
  },
  { record: record({ title: 'Nothing extracted' }) }
]

async function exported(format: ExportFormatId): Promise<string | Buffer> {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await writeExport(format, items, out, { review: columns })
  const data = Buffer.concat(chunks)
  return format === 'xlsx' ? data : data.toString('utf8')
}

const REVIEW_HEADER = ['extraction:source', 'extraction:sample_size', 'extraction:design', 'extraction:outcomes.arm', 'extraction:outcomes.n',
  'rob:tool', 'rob:source', 'rob:outcome', 'rob:D1', 'rob:D2', 'rob:D3', 'rob:D4', 'rob:D5', 'rob:overall']
const EXPECTED = [
  ['consensus', '120', 'RCT', 'app | usual care', '60 | 60', 'rob2', 'consensus | bob@example.org', 'depression | quality of life',
    'low | low', 'low | some concerns', 'high | low', 'low | low', 'low | low', 'high | some concerns'],
  ['bob@example.org', '=1+1', 'cohort', '', '', '', '', '', '', '', '', '', '', ''],
  ['', '', '', '', '', '', '', '', '', '', '', '', '', '']
]

t.test('CSV: extraction:<column> and rob:<domain> columns after the reference columns', async (t) => {
  const rows = parseCsv(await exported('csv') as string, { bom: true }) as string[][]
  t.same(rows[0], [...TABLE_COLUMNS, ...REVIEW_HEADER])
  const review = rows.slice(1).map((r) => r.slice(TABLE_COLUMNS.length))
  t.same(review, [EXPECTED[0], EXPECTED[1].map((v) => (v === '=1+1' ? "'=1+1" : v)), EXPECTED[2]],
    'values by column; a formula-like value is quoted as every CSV cell is')
})

t.test('XLSX: the same columns, read by ExcelJS', async (t) => {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await exported('xlsx') as unknown as ArrayBuffer)
  const sheet = workbook.worksheets[0]
  const header = (sheet.getRow(1).values as unknown[]).slice(1)
  t.same(header, [...TABLE_COLUMNS, ...REVIEW_HEADER])
  EXPECTED.forEach((expected, i) => {
    const cells = REVIEW_HEADER.map((_, k) => sheet.getRow(i + 2).getCell(TABLE_COLUMNS.length + k + 1).value)
    t.same(cells.map((v) => (v === null || v === undefined ? '' : String(v))), expected, `row ${i + 1}`)
  })
})

t.test('RIS: N1 notes read by Citation.js; stale review notes of the record dropped', async (t) => {
  const text = await exported('ris') as string
  const csl = new Cite(text).data as Array<Record<string, unknown>>
  const note = String(csl[0].note)
  t.match(note, 'AnalyLit extraction (consensus) sample_size: 120')
  t.match(note, 'AnalyLit extraction (consensus) outcomes.arm: app | usual care')
  t.match(note, 'AnalyLit risk of bias (rob2, outcome: depression, consensus): D1 low; D2 low; D3 high; D4 low; D5 low; overall high')
  t.match(note, 'AnalyLit risk of bias (rob2, outcome: quality of life, reviewer bob@example.org): D1 low; D2 some concerns')
  t.match(note, 'Own note')
  t.notMatch(note, 'stale from an earlier export')
  t.match(String(csl[1].note), 'AnalyLit extraction (reviewer bob@example.org) sample_size: =1+1')
  t.notOk(csl[2].note, 'nothing for an article without extraction or assessment')
  // The project's own importer keeps the lines as notes and reads no decision from them.
  const back = await exportAndImport('ris', items)
  t.ok(back.records[0].notes.some((n) => n.startsWith('AnalyLit risk of bias (rob2')))
  t.same(carriedDecisions(back.records[0]).map((d) => d.decision), ['include'], 'the decisions are read back as before')
})

t.test('BibTeX: annote read by @retorquere/bibtex-parser', async (t) => {
  const library = parseBibtex(await exported('bibtex') as string, { sentenceCase: false, english: false, caseProtection: false })
  const annote = String(library.entries[0].fields.annote)
  t.match(annote, 'AnalyLit extraction (consensus) design: RCT')
  t.match(annote, 'AnalyLit risk of bias (rob2, outcome: depression, consensus): D1 low; D2 low; D3 high; D4 low; D5 low; overall high')
  t.match(String(library.entries[1].fields.annote), 'sample_size: =1+1')
  t.notOk(library.entries[2].fields.annote)
  t.notMatch(String(library.entries[0].fields.note), 'AnalyLit extraction', 'the screening note stays as it was')
})

t.test('CSL-JSON: custom.analylit, valid against the CSL schema', async (t) => {
  const schema = JSON.parse(readFileSync(new URL('../fixtures/csl/csl-data.json', import.meta.url), 'utf8'))
  const validate = new Ajv({ strict: false }).compile(schema)
  const data = JSON.parse(await exported('csl-json') as string)
  t.ok(validate(data), JSON.stringify(validate.errors))
  t.same(data[0].custom.analylit.extraction, items[0].review!.extraction)
  t.same(data[0].custom.analylit.rob.assessments[0], { outcome: 'depression', source: 'consensus', domains: { ...low, D3: 'high' }, overall: 'high' })
  t.same(data[1].custom, { analylit: { extraction: items[1].review!.extraction } })
  t.notOk(data[2].custom)
})

t.test('without review columns the tables are unchanged', async (t) => {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  await writeExport('csv', items, out)
  t.same((parseCsv(Buffer.concat(chunks).toString('utf8')) as string[][])[0], [...TABLE_COLUMNS])
})
