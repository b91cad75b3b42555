/**
 * GET /export with include=extraction,rob: the articles' consensus extraction (else the chosen
 * reviewer's complete one) and risk-of-bias judgements in the reference export formats, read by
 * independent readers (csv-parse, ExcelJS, Citation.js); bad requests refused before any byte.
 */
import t from 'tap'
import { parse as parseCsv } from 'csv-parse/sync'
import ExcelJS from 'exceljs'
import { Cite } from '@citation-js/core'
import '@citation-js/plugin-ris'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, userWithToken } from '../helper.ts'
import { trialGrid } from '../support/grids.ts'

const ALL_LOW = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
const HIGH_D3 = { ...ALL_LOW, 3.1: 'N', 3.2: 'N', 3.3: 'Y', 3.4: 'Y' }

t.test('reference export with extraction and risk of bias', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Export review' } })).json()
  const api = `/api/projects/${project.id}`
  for (const u of [bob, carol]) await app.inject({ method: 'PUT', url: `${api}/members`, headers: owner.auth, payload: { email: u.user.email, role: 'reviewer' } })
  const [a1, a2] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'A chatbot trial', year: 2023, doi: '10.1/a' },
    { projectId: project.id, title: 'B cohort of app users', year: 2021 },
    { projectId: project.id, title: 'C not extracted' }
  ]).returning()
  const call = (who: typeof owner, method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: who.auth, ...(payload ? { payload } : {}) })
  const grid = (await call(owner, 'POST', '/grids', { definition: trialGrid([]) })).json()
  const mine = (who: typeof owner, id: string, values: object, status = 'complete') => call(who, 'PUT', `/articles/${id}/extractions/mine`, { gridId: grid.id, status, values })

  // a1: two reviewers disagree, the owner records the consensus. a2: only bob, complete.
  t.equal((await mine(bob, a1.id, { sample_size: { value: 120 }, design: { value: 'RCT' }, outcomes: { value: [{ arm: 'app', n: 60 }, { arm: 'usual care', n: 60 }] } })).statusCode, 200)
  t.equal((await mine(carol, a1.id, { sample_size: { value: 118 }, design: { value: 'RCT' } })).statusCode, 200)
  const consensus = await call(owner, 'PUT', `/articles/${a1.id}/extractions/consensus`, { gridId: grid.id, values: { sample_size: { value: 120 }, design: { value: 'RCT' }, blinded: { notReported: true }, outcomes: { value: [{ arm: 'app', n: 60 }, { arm: 'usual care', n: 60 }] } } })
  t.equal(consensus.statusCode, 200, consensus.body)
  t.equal((await mine(bob, a2.id, { sample_size: { value: 40 }, design: { value: 'cohort' } })).statusCode, 200)
  t.equal((await mine(carol, a2.id, { sample_size: { value: 41 } }, 'draft')).statusCode, 200)
  // RoB 2: consensus on a1, bob's own on a2.
  t.equal((await call(bob, 'PUT', `/articles/${a2.id}/rob/rob2/mine`, { status: 'complete', answers: HIGH_D3 })).statusCode, 200)
  t.equal((await call(owner, 'PUT', `/articles/${a1.id}/rob/rob2/consensus`, { status: 'complete', answers: ALL_LOW })).statusCode, 200)

  const exportOf = (who: typeof owner, query: string) => call(who, 'GET', `/export?${query}`)
  const q = `include=extraction,rob&gridId=${grid.id}&robTool=rob2`

  await t.test('CSV: the consensus, else the caller\'s own complete extraction', async (t) => {
    const res = await exportOf(bob, `format=csv&${q}`)
    t.equal(res.statusCode, 200, res.body)
    const rows = parseCsv(res.body, { columns: true, bom: true }) as Array<Record<string, string>>
    const byTitle = Object.fromEntries(rows.map((r) => [r.title, r]))
    t.match(byTitle['A chatbot trial'], {
      'extraction:source': 'consensus', 'extraction:sample_size': '120', 'extraction:design': 'RCT', 'extraction:blinded': 'NR',
      'extraction:outcomes.arm': 'app | usual care', 'extraction:outcomes.n': '60 | 60',
      'rob:tool': 'rob2', 'rob:source': 'consensus', 'rob:D1': 'low', 'rob:D3': 'low', 'rob:overall': 'low'
    })
    t.match(byTitle['B cohort of app users'], {
      'extraction:source': bob.user.email, 'extraction:sample_size': '40', 'extraction:design': 'cohort',
      'rob:source': bob.user.email, 'rob:D3': 'high', 'rob:overall': 'high'
    })
    t.match(byTitle['C not extracted'], { 'extraction:source': '', 'extraction:sample_size': '', 'rob:overall': '' })
    // Carol's a2 is a draft: never exported; her a2 row is empty.
    const carols = parseCsv((await exportOf(carol, `format=csv&${q}`)).body, { columns: true, bom: true }) as Array<Record<string, string>>
    t.match(carols.find((r) => r.title.startsWith('B')), { 'extraction:source': '', 'rob:source': '' }, 'a draft is not exported')
    t.match(carols.find((r) => r.title.startsWith('A')), { 'extraction:source': 'consensus' }, 'everyone gets the consensus')
  })

  await t.test('another reviewer\'s values: owners and resolvers only (extraction is blind)', async (t) => {
    const denied = await exportOf(carol, `format=csv&${q}&reviewer=${bob.user.id}`)
    t.equal(denied.statusCode, 403)
    t.match(denied.json(), { field: 'reviewer' })
    const rows = parseCsv((await exportOf(owner, `format=csv&${q}&reviewer=${bob.user.id}`)).body, { columns: true, bom: true }) as Array<Record<string, string>>
    t.match(rows.find((r) => r.title.startsWith('B')), { 'extraction:source': bob.user.email, 'rob:overall': 'high' })
  })

  await t.test('XLSX read by ExcelJS, RIS read by Citation.js, CSL-JSON custom', async (t) => {
    const xlsx = await exportOf(bob, `format=xlsx&${q}`)
    t.equal(xlsx.statusCode, 200)
    const book = new ExcelJS.Workbook()
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer)
    const sheet = book.worksheets[0]!
    const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[]
    t.same(header.slice(header.indexOf('extraction:source')), ['extraction:source', 'extraction:sample_size', 'extraction:design', 'extraction:blinded',
      'extraction:outcomes.arm', 'extraction:outcomes.n', 'rob:tool', 'rob:source', 'rob:outcome', 'rob:D1', 'rob:D2', 'rob:D3', 'rob:D4', 'rob:D5', 'rob:overall'])
    const rows = Array.from({ length: sheet.actualRowCount - 1 }, (_, i) => Object.fromEntries(header.map((h, k) => [h, sheet.getRow(i + 2).getCell(k + 1).value])))
    t.match(rows.find((r) => r.title === 'A chatbot trial'), { 'extraction:sample_size': '120', 'rob:overall': 'low' })

    const ris = await exportOf(bob, `format=ris&${q}`)
    const csl = new Cite(ris.body).data as Array<Record<string, unknown>>
    const trial = csl.find((c) => c.title === 'A chatbot trial')!
    t.match(String(trial.note), 'AnalyLit extraction (consensus) sample_size: 120')
    t.match(String(trial.note), 'AnalyLit risk of bias (rob2, consensus): D1 low; D2 low; D3 low; D4 low; D5 low; overall low')
    t.match(String(csl.find((c) => c.title === 'B cohort of app users')!.note), `AnalyLit extraction (reviewer ${bob.user.email}) design: cohort`)

    const json = JSON.parse((await exportOf(bob, `format=csl-json&${q}`)).body) as Array<Record<string, { analylit?: Record<string, { values?: object; assessments?: object[] }> }>>
    const item = json.find((c) => (c.title as unknown) === 'A chatbot trial')!
    t.match(item.custom.analylit, { extraction: { grid: 'Trials', gridVersion: 1, source: 'consensus', values: { sample_size: '120', blinded: 'NR' } }, rob: { tool: 'rob2', assessments: [{ source: 'consensus', overall: 'low' }] } })

    const bib = (await exportOf(bob, 'format=bibtex&include=rob&robTool=rob2')).body
    t.match(bib, /annote\s*= \{AnalyLit risk of bias \(rob2, consensus\)/)
    t.notMatch(bib, /AnalyLit extraction/, 'only what was asked for')
  })

  await t.test('bad requests: a 4xx naming the field, before any byte', async (t) => {
    const cases: Array<[string, number, string]> = [
      ['format=csv&include=extraction', 400, 'gridId'],
      ['format=csv&include=rob', 400, 'robTool'],
      ['format=csv&include=rob&robTool=rob9', 400, 'robTool'],
      ['format=csv&include=pictures', 400, 'include'],
      [`format=csv&gridId=${grid.id}`, 400, 'include'],
      [`format=csv&include=extraction&gridId=${a1.id}`, 404, 'gridId']
    ]
    for (const [query, status, field] of cases) {
      const res = await exportOf(bob, query)
      t.equal(res.statusCode, status, query)
      t.match(res.body, new RegExp(`"(message|field)":"[^"]*${field}`), `${query}: names ${field}`)
    }
  })

  await t.test('without include the export is as before', async (t) => {
    const header = (await exportOf(bob, 'format=csv')).body.split('\r\n')[0]!
    t.notMatch(header, /extraction:|rob:/)
  })
})
