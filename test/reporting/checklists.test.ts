import t from 'tap'
import ExcelJS from 'exceljs'
import {
  CHECKLISTS, PRISMA_2020, PRISMA_2020_ABSTRACTS, PRISMA_S, PRISMA_SCR, checklistCsv, checklistXlsx, emptyChecklist, getChecklist, prefillChecklist, type ProjectFacts
} from '../../src/reporting/checklists/index.ts'
import { NotFound } from '../../src/errors.ts'

const ids = (c: { items: readonly { id: string }[] }) => c.items.map((i) => i.id)

t.test('item counts and ids of each checklist', async (t) => {
  t.same(ids(PRISMA_2020), [
    '1', '2', '3', '4', '5', '6', '7', '8', '9', '10a', '10b', '11', '12', '13a', '13b', '13c', '13d', '13e', '13f', '14', '15',
    '16a', '16b', '17', '18', '19', '20a', '20b', '20c', '20d', '21', '22', '23a', '23b', '23c', '23d', '24a', '24b', '24c', '25', '26', '27'])
  t.equal(new Set(ids(PRISMA_2020).map((id) => id.replace(/[a-f]$/, ''))).size, 27, '27 items')
  t.same(ids(PRISMA_2020_ABSTRACTS), Array.from({ length: 12 }, (_, i) => String(i + 1)))
  t.same(ids(PRISMA_SCR), Array.from({ length: 22 }, (_, i) => String(i + 1)))
  t.same(PRISMA_SCR.items.filter((i) => i.optional).map((i) => i.id), ['12', '16'], 'the two optional critical-appraisal items')
  t.same(ids(PRISMA_S), Array.from({ length: 16 }, (_, i) => String(i + 1)))
  for (const c of Object.values(CHECKLISTS)) {
    t.ok(c.items.every((i) => i.section && i.topic && i.text.length > 10), `${c.name}: every item has a section, topic and text`)
    t.match(c.source, /doi:10\./, `${c.name} cites its source`)
  }
  t.equal(PRISMA_2020.items.find((i) => i.id === '13d')?.topic, 'Synthesis methods')
  t.match(PRISMA_S.items.find((i) => i.id === '8')?.text, 'copied and pasted exactly as run')
  t.equal(getChecklist('prisma-scr'), PRISMA_SCR)
  t.throws(() => getChecklist('consort'), NotFound)
})

const facts: ProjectFacts = {
  searches: [
    { database: 'PubMed', query: 'chatbot AND alliance', queryAsSent: 'chatbot[tiab] AND alliance[tiab]', date: '2026-03-01T10:00:00Z', totalHits: 120, retrieved: 120, maxRecords: 1000 },
    { database: 'PubMed', query: 'chatbot AND alliance', date: '2026-05-02T10:00:00Z', totalHits: 130, retrieved: 130, maxRecords: 1000 },
    { database: 'OpenAlex', query: 'conversational agent therapeutic alliance', date: '2026-03-01T10:00:00Z', totalHits: 5000, retrieved: 1000, maxRecords: 1000 }
  ],
  imports: [
    { kind: 'file', sourceDatabase: 'Scopus', records: 80, date: '2026-02-20T00:00:00Z' },
    { kind: 'file', sourceDatabase: 'ClinicalTrials.gov', records: 5, date: '2026-02-21T00:00:00Z' },
    { kind: 'citations', sourceDatabase: 'OpenAlex', records: 7 }
  ],
  screening: { reviewersPerRecord: 2, blind: true, exclusionReasons: ['wrong population', 'wrong outcome'], classifier: 'logistic' },
  extraction: { fields: [{ name: 'country', description: 'where the study took place' }, { name: 'sample size' }] },
  deduplication: { duplicatesRemoved: 40, confirmedByReviewers: 12 }
}

t.test('pre-fill from project facts', async (t) => {
  const filled = prefillChecklist(PRISMA_2020, facts)
  const item = (id: string) => filled.items.find((i) => i.id === id)!
  t.equal(filled.items.length, 42)
  t.match(item('6'), { prefilled: true, status: null })
  t.match(item('6').evidence, 'PubMed (last searched 2026-05-02)')
  t.match(item('6').evidence, 'Scopus (last searched 2026-02-20)')
  t.match(item('6').evidence, 'Registers searched: ClinicalTrials.gov')
  t.match(item('6').evidence, 'Citation searching')
  t.match(item('7').evidence, 'PubMed (2026-03-01): chatbot[tiab] AND alliance[tiab]', 'the query as sent')
  t.match(item('7').evidence, 'OpenAlex (2026-03-01): conversational agent therapeutic alliance')
  t.match(item('8').evidence, /two reviewers working independently/)
  t.match(item('8').evidence, 'wrong population; wrong outcome')
  t.match(item('10b').evidence, 'country: where the study took place\nsample size')
  for (const id of ['1', '5', '11', '16a', '27']) t.same(item(id), { id, status: null, location: '', notes: '', evidence: null, prefilled: false }, `item ${id} left blank`)

  const s = prefillChecklist(PRISMA_S, facts)
  const sItem = (id: string) => s.items.find((i) => i.id === id)!
  t.match(sItem('3').evidence, 'ClinicalTrials.gov')
  t.notMatch(sItem('1').evidence, 'ClinicalTrials.gov', 'registers are not databases')
  t.match(sItem('9').evidence, 'OpenAlex 1000 of 5000 hits (limit 1000)')
  t.notMatch(sItem('9').evidence, 'PubMed', 'a search that got every hit was not limited')
  t.equal(sItem('13').evidence, 'PubMed: 2026-05-02; OpenAlex: 2026-03-01')
  t.match(sItem('16').evidence, '40 duplicate records removed, 12 of them confirmed by a reviewer')

  const single = prefillChecklist(PRISMA_SCR, { screening: { reviewersPerRecord: 1, blind: false, exclusionReasons: [] } })
  t.equal(single.items.find((i) => i.id === '9')!.evidence, 'Each record and each report was screened by one reviewer.')
  t.equal(single.items.find((i) => i.id === '7')!.evidence, null, 'no facts, no evidence')
})

t.test('pre-fill keeps what people wrote', async (t) => {
  const instance = emptyChecklist(PRISMA_2020)
  const mine = instance.items.find((i) => i.id === '7')!
  Object.assign(mine, { status: 'reported', location: 'Appendix 1', notes: 'checked', evidence: 'our own text', prefilled: false })
  const six = instance.items.find((i) => i.id === '6')!
  Object.assign(six, { status: 'not_reported', location: 'Methods' })
  const filled = prefillChecklist(PRISMA_2020, facts, instance)
  t.same(filled.items.find((i) => i.id === '7'), { id: '7', status: 'reported', location: 'Appendix 1', notes: 'checked', evidence: 'our own text', prefilled: false })
  t.match(filled.items.find((i) => i.id === '6'), { status: 'not_reported', location: 'Methods', prefilled: true })
  t.equal(instance.items.find((i) => i.id === '6')!.evidence, null, 'the instance given is not changed')
  // Pre-filled evidence is refreshed from newer facts.
  const again = prefillChecklist(PRISMA_2020, { searches: facts.searches!.slice(2) }, filled)
  t.equal(again.items.find((i) => i.id === '6')!.evidence, 'Databases searched: OpenAlex (last searched 2026-03-01).')
})

t.test('CSV export escapes commas, quotes, line breaks and formulas', async (t) => {
  const instance = emptyChecklist(PRISMA_S)
  Object.assign(instance.items[0], { status: 'reported', location: 'Methods, p. 4', notes: 'said "all"\nsee table', evidence: '=HYPERLINK("x")' })
  const csv = checklistCsv(PRISMA_S, instance)
  const records = csv.split('\r\n')
  t.equal(records[0], 'section,item,topic,checklist item,optional,status,location,notes,evidence,pre-filled')
  t.equal(csv.endsWith('\r\n'), true)
  t.match(csv, 'Information sources and methods,1,Database name,"Name each individual database searched, stating the platform for each.",,reported,"Methods, p. 4","said ""all""\nsee table","\'=HYPERLINK(""x"")",\r\n')
  t.equal(records.length, 1 + 16 + 1, 'a header and 16 items ended by CRLF (the line break in a cell stays inside its quotes)')
  t.match(checklistCsv(PRISMA_SCR), /\r\nMethods,12,Critical appraisal of individual sources of evidence,"If done[^"]*",yes,/)
})

t.test('XLSX export', async (t) => {
  const filled = prefillChecklist(PRISMA_2020, facts)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(await checklistXlsx(PRISMA_2020, filled) as unknown as ArrayBuffer)
  const sheet = workbook.getWorksheet('PRISMA 2020')!
  t.equal(sheet.rowCount, 43)
  t.equal(sheet.getRow(1).getCell(4).value, 'checklist item')
  const row = sheet.getRow(1 + PRISMA_2020.items.findIndex((i) => i.id === '7') + 1)
  t.equal(row.getCell(2).value, '7')
  t.match(String(row.getCell(9).value), 'chatbot[tiab] AND alliance[tiab]')
  t.equal(row.getCell(10).value, 'yes')
  t.match(sheet.views[0], { state: 'frozen', ySplit: 1 })
  t.ok(sheet.autoFilter, 'filters on the header')
})
