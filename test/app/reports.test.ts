import t from 'tap'
import ExcelJS from 'exceljs'
import { and, eq, isNull } from 'drizzle-orm'
import { articles } from '../../src/db/schema.ts'
import { MAX_FORMATTED_REFERENCES } from '../../src/services/reports.ts'
import { build, fileUpload, needsServices, userWithToken, waitFor } from '../helper.ts'

const RIS = `TY  - JOUR
TI  - Effects of exercise on depression in older adults: a randomized controlled trial
AU  - van der Berg, Anna M.
AU  - Smith, John
AU  - García-López, María
PY  - 2021
JO  - Journal of Aging Research
VL  - 12
IS  - 3
SP  - 145
EP  - 159
DO  - 10.1234/jar.2021.0145
ER  - 
TY  - CONF
TI  - Active learning for systematic review screening
AU  - Lee, Kim
AU  - Müller, Hans
PY  - 2020
T2  - Proceedings of the 2020 Conference on Information Retrieval
SP  - 33
EP  - 40
PB  - ACM
DO  - 10.1145/3397271.3401111
ER  - 
TY  - JOUR
TI  - Knee surgery registry outcomes
AU  - Dupont, Claire
PY  - 2019
JO  - Journal of Orthopaedics
ER  - 
TY  - JOUR
TI  - =HYPERLINK("http://evil.example/?x","click me")
AU  - Zed, Zoe
PY  - 2018
JO  - Journal of Tests
ER  - 
`

t.test('bibliography and report workbook of a screened project', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Reports' } })).json()
  const base = `/api/projects/${project.id}`
  const body = fileUpload('records.ris', RIS, { sourceDatabase: 'PubMed' })
  const res = await app.inject({ method: 'POST', url: `${base}/imports`, headers: { ...owner.auth, ...body.headers }, payload: body.payload })
  t.equal(res.statusCode, 202, res.body)
  await waitFor(async () => (await app.inject({ url: `/api/tasks/${res.json().id}`, headers: owner.auth })).json().status === 'succeeded', 60000)
  const live = await app.db.select({ id: articles.id, title: articles.title }).from(articles).where(and(eq(articles.projectId, project.id), isNull(articles.duplicateOf)))
  t.equal(live.length, 4)
  const id = (start: string) => live.find((r) => r.title.startsWith(start))!.id
  const decide = async (start: string, payload: object) => {
    const r = await app.inject({ method: 'POST', url: `${base}/articles/${id(start)}/decisions`, headers: owner.auth, payload })
    t.equal(r.statusCode, 201, r.body)
  }
  await decide('Effects', { decision: 'include' })
  await decide('Active', { decision: 'include' })
  await decide('Knee', { decision: 'exclude', reason: 'wrong population' })
  await decide('Effects', { decision: 'include', stage: 'full_text' })
  await decide('Active', { decision: 'exclude', stage: 'full_text', reason: 'wrong design' })

  const get = (query: string) => app.inject({ url: `${base}/bibliography${query}`, headers: owner.auth })

  t.test('included studies by default, in APA 7 as text', async (t) => {
    const out = await get('')
    t.equal(out.statusCode, 200, out.body)
    t.match(out.headers['content-type'], /^text\/plain; charset=utf-8/)
    t.equal(out.body, 'van der Berg, A. M., Smith, J., & García-López, M. (2021). Effects of exercise on depression in older adults: a randomized controlled trial. Journal of Aging Research, 12(3), 145–159. https://doi.org/10.1234/jar.2021.0145\n')
  })

  t.test('sets, styles, formats and locales', async (t) => {
    const screened = (await get('?set=screened&style=vancouver')).body.split('\n').filter(Boolean)
    t.same(screened.map((line) => line.slice(0, 12)), ['1. Dupont C.', '2. Lee K, Mü', '3. van der B'])
    t.equal((await get('?set=all&style=ieee')).body.split('\n').filter(Boolean).length, 4)
    const html = await get('?style=ieee&format=html')
    t.match(html.headers['content-type'], /^text\/html/)
    t.match(html.body, /^<div class="csl-bib-body">\n {2}<div class="csl-entry"><div class="csl-left-margin">\[1\]<\/div><div class="csl-right-inline">A\. M\. van der Berg, J\. Smith, and M\. García-López, “Effects/)
    const rtf = await get('?style=harvard&format=rtf')
    t.match(rtf.headers['content-type'], /^application\/rtf/)
    t.match(rtf.body, /^\{\\rtf1.*\\u8216\{\}Effects of exercise/s)
    t.match((await get('?style=ieee&locale=fr-FR')).body, /Smith, et M/)
    const bibtex = await get('?format=bibtex&set=screened')
    t.equal(bibtex.body.match(/^@\w+\{/gm)?.length, 3)
    t.match(bibtex.headers['content-disposition'], /filename="Reports-bibliography\.bib"/)
    t.equal((await get('?format=ris')).body.match(/^TY {2}- /gm)?.length, 1)
  })

  t.test('an unknown style or format is a 400 naming it', async (t) => {
    const style = await get('?style=mla')
    t.equal(style.statusCode, 400)
    t.match(style.json(), { field: 'style', message: /querystring\.style .*apa, vancouver, harvard, chicago, ieee/ })
    const format = await get('?format=pdf')
    t.equal(format.statusCode, 400)
    t.match(format.json(), { field: 'format', message: /text, html, rtf, docx, bibtex, ris/ })
  })

  t.test('report workbook: one sheet each, headers frozen, filters on, no formulas', async (t) => {
    const out = await app.inject({ url: `${base}/report.xlsx`, headers: owner.auth })
    t.equal(out.statusCode, 200, out.body)
    t.match(out.headers['content-disposition'], /attachment; filename="Reports-report\.xlsx"/)
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(out.rawPayload as unknown as ArrayBuffer)
    t.same(workbook.worksheets.map((s) => s.name), ['Articles', 'Decisions', 'PRISMA', 'Title-abstract screening', 'Full-text screening'])
    for (const sheet of workbook.worksheets) {
      t.match(sheet.views[0], { state: 'frozen', ySplit: 1 }, `${sheet.name}: header frozen`)
      t.ok(sheet.autoFilter, `${sheet.name}: filter on`)
      t.equal(sheet.getRow(1).font?.bold, true, `${sheet.name}: bold header`)
    }
    const rows = (name: string) => {
      const sheet = workbook.getWorksheet(name)!
      const header = (sheet.getRow(1).values as unknown[]).slice(1) as string[]
      const list: Array<Record<string, unknown>> = []
      sheet.eachRow((row, n) => { if (n > 1) list.push(Object.fromEntries(header.map((h, i) => [h, row.getCell(i + 1).value]))) })
      return list
    }
    const arts = rows('Articles')
    t.equal(arts.length, 4)
    t.match(arts.find((a) => a.id === id('Effects')), { authors: 'van der Berg, Anna M.; Smith, John; García-López, María', year: 2021, title_abstract: 'included', full_text: 'included' })
    t.match(arts.find((a) => a.id === id('Knee')), { title_abstract: 'excluded', full_text: null })
    const hostile = workbook.getWorksheet('Articles')!.getRow(arts.findIndex((a) => a.id === id('=HYPERLINK')) + 2).getCell(2)
    t.equal(hostile.type, ExcelJS.ValueType.String, 'a title starting with "=" is text')
    t.equal(hostile.formula, undefined)
    t.equal(hostile.value, '=HYPERLINK("http://evil.example/?x","click me")')

    const decisions = rows('Decisions')
    t.equal(decisions.length, 5)
    t.match(decisions.find((d) => d.stage === 'full_text' && d.decision === 'exclude'), { reason: 'wrong design', reviewer: owner.user.email, source: 'human', title: 'Active learning for systematic review screening' })
    t.ok(decisions.every((d) => d.date instanceof Date))

    const prisma = rows('PRISMA')
    t.match(prisma.find((r) => String(r.box).startsWith('Records identified (') && r.detail === 'PubMed'), { count: 4 })
    t.match(prisma.find((r) => r.box === 'Records screened'), { count: 3 })
    t.match(prisma.find((r) => r.box === 'Reports excluded'), { detail: 'wrong design', count: 1 })
    t.match(prisma.find((r) => r.box === 'Studies included in review'), { count: 1 })

    const full = rows('Full-text screening')
    t.same(full.map((r) => [r.title, r.status, r.exclusion_reason ?? null, r.include, r.exclude]).sort(), [
      ['Active learning for systematic review screening', 'excluded', 'wrong design', 0, 1],
      ['Effects of exercise on depression in older adults: a randomized controlled trial', 'included', null, 1, 0]
    ])
  })

  t.test('the workbook gains the later stages: extraction consensus per grid, risk of bias per tool, meta-analyses', async (t) => {
    const send = async (method: 'POST' | 'PUT', url: string, payload: object, status: number) => {
      const r = await app.inject({ method, url: `${base}${url}`, headers: owner.auth, payload })
      t.equal(r.statusCode, status, `${method} ${url}: ${r.body.slice(0, 300)}`)
      return r.json()
    }
    const grid = await send('POST', '/grids', { definition: { name: 'Trial data', fields: ['Design', 'Sample size'] } }, 201)
    await send('PUT', `/articles/${id('Effects')}/extractions/consensus`, { gridId: grid.id, values: { design: { value: 'RCT' }, sample_size: { value: '120' } } }, 200)
    await send('PUT', `/articles/${id('Effects')}/rob/rob1/mine`, { status: 'complete', judgements: { D1: 'low', D2: 'unclear', D3: 'high', D4: 'low', D5: 'low', D6: 'low', D7: 'low' } }, 200)
    await send('POST', '/analyses', {
      name: 'Depression', kind: 'generic', measure: 'GEN', method: 'DL',
      rows: [{ label: 'Trial 1', yi: -0.5, se: 0.2 }, { label: 'Trial 2', yi: -0.3, se: 0.25 }, { label: 'Trial 3', yi: -0.1, se: 0.3 }]
    }, 201)
    const out = await app.inject({ url: `${base}/report.xlsx`, headers: owner.auth })
    t.equal(out.statusCode, 200, out.body)
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(out.rawPayload as unknown as ArrayBuffer)
    t.same(workbook.worksheets.map((s) => s.name).slice(5), ['Extraction Trial data', 'Risk of bias rob1', 'Meta-analyses'])
    const values = (name: string) => workbook.getWorksheet(name)!.getRow(2).values as unknown[]
    const header = (name: string) => workbook.getWorksheet(name)!.getRow(1).values as unknown[]
    t.same(header('Extraction Trial data').slice(1), ['article_id', 'title', 'year', 'doi', 'design', 'sample_size'])
    t.match(values('Extraction Trial data').slice(5), ['RCT', '120'], 'the consensus values')
    t.equal(values('Risk of bias rob1')[1], id('Effects'))
    t.equal(values('Risk of bias rob1').at(-1), 'high', 'overall: the worst domain')
    const meta = Object.fromEntries((header('Meta-analyses').slice(1) as string[]).map((h, i) => [h, values('Meta-analyses')[i + 1]]))
    t.match(meta, { name: 'Depression', measure: 'GEN', method: 'DL', k: 3 })
    // Inverse-variance pooled estimate with DL: the three studies' heterogeneity is below Q's df, so tau² = 0.
    const w = [1 / 0.04, 1 / 0.0625, 1 / 0.09]
    t.ok(Math.abs(Number(meta.estimate) - (-0.5 * w[0] - 0.3 * w[1] - 0.1 * w[2]) / (w[0] + w[1] + w[2])) < 1e-9, 'the pooled estimate')
  })

  t.test('a formatted bibliography of more references than the cap is refused; RIS takes any number', async (t) => {
    await app.db.insert(articles).values(Array.from({ length: MAX_FORMATTED_REFERENCES }, (_, k) => ({ projectId: project.id, title: `Filler record ${k}` })))
    const refused = await get('?set=all')
    t.equal(refused.statusCode, 413)
    t.match(refused.json(), { field: 'set', message: `${MAX_FORMATTED_REFERENCES + 4} references: a formatted bibliography takes at most ${MAX_FORMATTED_REFERENCES}` })
    t.equal((await get('?set=included')).statusCode, 200, 'a small set still formats')
    t.equal((await get('?set=all&format=ris')).body.match(/^TY {2}- /gm)?.length, MAX_FORMATTED_REFERENCES + 4)
  })
})
