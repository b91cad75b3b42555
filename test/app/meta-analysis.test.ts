import { readFileSync } from 'node:fs'
import ExcelJS from 'exceljs'
import t, { type Test } from 'tap'
import { build, fileUpload, needsServices, userWithToken } from '../helper.ts'

// References computed by metafor (scripts/metafor-fixtures.R).
interface Case { name: string, studies: Array<Record<string, number | string>>, expected: Record<string, number> }
const fixtures = JSON.parse(readFileSync(new URL('../fixtures/meta-analysis/metafor.json', import.meta.url), 'utf8')) as {
  cases: Case[], extras: Record<string, Record<string, unknown>>
}
const fixture = (name: string) => fixtures.cases.find((c) => c.name === name)!

function close(t: Test, actual: number | undefined, expected: number, what: string, tolerance = 1e-6): void {
  const ok = actual !== undefined && Number.isFinite(actual) && Math.abs(actual - expected) <= tolerance * Math.max(Math.abs(expected), 1e-3)
  t.ok(ok, `${what}: ${actual} vs metafor ${expected}`)
}

interface Result {
  pooled: { estimate: number, se: number, pval: number, ciLb: number, ciUb: number, k: number }, tau2: number, Q: number, I2: number, H2: number
  tau2Ci?: number[], I2Ci?: number[], predictionInterval?: number[], leaveOneOut?: Array<{ estimate: number, se: number }>
  smallStudyEffects?: { egger: { stat: number, pval: number }, trimAndFill: { k0: number, adjusted: { estimate: number } } }
}

function compare(t: Test, r: Result, e: Record<string, number>, name: string): void {
  close(t, r.pooled.estimate, e.est, `${name} estimate`); close(t, r.pooled.se, e.se, `${name} se`); close(t, r.pooled.pval, e.pval, `${name} p`)
  close(t, r.pooled.ciLb, e.ciLb, `${name} CI lower`); close(t, r.pooled.ciUb, e.ciUb, `${name} CI upper`)
  close(t, r.tau2, e.tau2, `${name} tau2`); close(t, r.Q, e.Q, `${name} Q`); close(t, r.I2, e.I2, `${name} I2`); close(t, r.H2, e.H2, `${name} H2`)
  close(t, r.tau2Ci?.[0], e.tau2Lb, `${name} tau2 CI lower`); close(t, r.tau2Ci?.[1], e.tau2Ub, `${name} tau2 CI upper`)
  close(t, r.I2Ci?.[0], e.I2Lb, `${name} I2 CI lower`); close(t, r.predictionInterval?.[0], e.piLb, `${name} PI lower`)
  close(t, r.predictionInterval?.[1], e.piUb, `${name} PI upper`)
}

t.test('meta-analyses stored through the API', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const viewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Meta' } })).json()
  await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: viewer.user.email, role: 'viewer' } })
  const base = `/api/projects/${project.id}/analyses`

  const bcg = fixture('bcg OR REML')
  const bcgRows = bcg.studies.map((s) => ({ label: `BCG trial ${s.id}`, events1: s.events1, total1: s.total1, events2: s.events2, total2: s.total2 }))
  let bcgId = ''

  t.test('JSON rows: the stored result is metafor\'s (bcg, log OR, REML)', async (t) => {
    const res = await app.inject({ method: 'POST', url: base, headers: owner.auth, payload: { name: 'BCG & TB <OR>', kind: 'binary', measure: 'OR', method: 'REML', rows: bcgRows } })
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    const created = res.json()
    bcgId = created.id
    t.match(created, { name: 'BCG & TB <OR>', kind: 'binary', measure: 'OR', method: 'REML', k: 13, options: { method: 'REML' } })
    t.ok(created.libraryVersion.length > 0, 'the library version is recorded')
    t.equal(created.rows.length, 13, 'the input is stored')
    // Read back from the database, not from the create response.
    const got = (await app.inject({ url: `${base}/${bcgId}`, headers: viewer.auth })).json()
    compare(t, got.result, bcg.expected, 'bcg OR REML')
    t.notOk('leaveOneOut' in got.result, 'leave-one-out only when asked')
    t.notOk('smallStudyEffects' in got.result, 'small-study effects only when asked')
    const list = (await app.inject({ url: base, headers: viewer.auth })).json()
    t.equal(list.length, 1)
    close(t, list[0].estimate, bcg.expected.est, 'the list shows the pooled estimate')
  })

  t.test('leave-one-out, Egger and trim-and-fill when asked (bcg, log RR, DL)', async (t) => {
    const rr = fixture('bcg RR DL')
    const res = await app.inject({ method: 'PATCH', url: `${base}/${bcgId}`, headers: owner.auth, payload: { measure: 'RR', method: 'DL' } })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    const got = (await app.inject({ url: `${base}/${bcgId}?leaveOneOut=true&smallStudyEffects=true`, headers: owner.auth })).json()
    t.equal(got.name, 'BCG & TB <OR>', 'the rest of the definition is kept')
    t.equal(got.measure, 'RR')
    close(t, got.result.pooled.estimate, rr.expected.est, 'edited analysis re-run: estimate')
    const l1o = fixtures.extras['bcg RR DL leave1out'] as Record<string, number[]>
    t.equal(got.result.leaveOneOut.length, 13)
    got.result.leaveOneOut.forEach((o: { estimate: number, se: number }, i: number) => {
      close(t, o.estimate, l1o.est[i], `leave-one-out ${i} estimate`); close(t, o.se, l1o.se[i], `leave-one-out ${i} se`)
    })
    const egger = fixtures.extras['bcg RR DL egger'] as Record<string, Record<string, number>>
    close(t, got.result.smallStudyEffects.egger.stat, egger.lm.stat, 'Egger t'); close(t, got.result.smallStudyEffects.egger.pval, egger.lm.pval, 'Egger p')
    const tf = fixtures.extras['bcg RR DL trimfill'] as Record<string, number>
    t.equal(got.result.smallStudyEffects.trimAndFill.k0, tf.k0)
    close(t, got.result.smallStudyEffects.trimAndFill.adjusted.estimate, tf.est, 'trim-and-fill estimate')
  })

  t.test('an uploaded CSV table: metafor\'s figures (Normand 1999, SMD, DL, Knapp–Hartung)', async (t) => {
    const normand = fixture('normand SMD DL knha')
    const csv = ['Study;mean1;sd1;n1;mean2;sd2;n2', ...normand.studies.map((s) => `Normand ${s.id};${s.mean1};${s.sd1};${s.n1};${s.mean2};${s.sd2};${s.n2}`)].join('\r\n')
    const upload = fileUpload('normand.csv', csv, { name: 'Stroke', kind: 'continuous', measure: 'SMD', method: 'DL', test: 'knha' })
    const res = await app.inject({ method: 'POST', url: `${base}/upload`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    const got = (await app.inject({ url: `${base}/${res.json().id}`, headers: owner.auth })).json()
    compare(t, got.result, normand.expected, 'normand SMD DL knha')
    t.equal(got.rows[0].label, 'Normand 1', 'the "Study" column is the label')
    const european = fileUpload('eu.csv', 'label;yi;se\nA;0,5;0,25\nB;-0,1;0,2\n', { name: 'EU', kind: 'generic', measure: 'GEN', method: 'FE' })
    const eu = await app.inject({ method: 'POST', url: `${base}/upload`, headers: { ...owner.auth, ...european.headers }, payload: european.payload })
    t.same(eu.json().rows.map((r: { yi: number, se: number }) => [r.yi, r.se]), [[0.5, 0.25], [-0.1, 0.2]], 'decimal commas in a semicolon-separated file')
  })

  t.test('an uploaded XLSX table with subgroups', async (t) => {
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet('data')
    sheet.addRow(['label', 'group', 'yi', 'se'])
    for (const [i, [yi, se]] of [[0.1, 0.2], [0.3, 0.1], [0.5, 0.3], [-0.2, 0.25]].entries()) sheet.addRow([`S${i + 1}`, i < 2 ? 'adults' : 'children', yi, se])
    const upload = fileUpload('table.xlsx', Buffer.from(await workbook.xlsx.writeBuffer()), { name: 'Generic', kind: 'generic', measure: 'GEN', method: 'FE' })
    const res = await app.inject({ method: 'POST', url: `${base}/upload`, headers: { ...owner.auth, ...upload.headers }, payload: upload.payload })
    t.equal(res.statusCode, 201, res.body.slice(0, 300))
    t.same(res.json().result.subgroups.groups.map((g: { group: string }) => g.group), ['adults', 'children'])
  })

  t.test('bad input: 400s naming the row, column or option; nothing stored', async (t) => {
    const before = (await app.inject({ url: base, headers: owner.auth })).json().length
    const post = (payload: object) => app.inject({ method: 'POST', url: base, headers: owner.auth, payload: { name: 'x', ...payload } })
    const cases: Array<[object, RegExp, string]> = [
      [{ kind: 'continuous', measure: 'MD', method: 'MH', rows: [{ label: 'a', mean1: 1, sd1: 1, n1: 5, mean2: 0, sd2: 1, n2: 5 }] }, /MH pools 2×2 tables only/, 'method'],
      [{ kind: 'binary', measure: 'SMD', method: 'FE', rows: bcgRows }, /SMD does not apply to binary/, 'measure'],
      [{ kind: 'binary', measure: 'OR', method: 'REML', rows: bcgRows.slice(0, 1) }, /one study.*FE/, 'method'],
      [{ kind: 'binary', measure: 'OR', method: 'FE', rows: [bcgRows[0], { ...bcgRows[1], events1: 400 }] }, /rows\[1\] \("BCG trial 2"\): events1 \(400\) exceeds total1/, 'rows[1].events1'],
      [{ kind: 'binary', measure: 'OR', method: 'FE', rows: [bcgRows[0], { label: 'b', events1: 1, total1: 2, events2: 1 }] }, /rows\[1\] \("b"\): column total2 is missing/, 'rows[1].total2'],
      [{ kind: 'binary', measure: 'OR', method: 'FE', rows: [bcgRows[0], bcgRows[0]] }, /label repeats rows\[0\]/, 'rows[1].label']
    ]
    for (const [payload, message, field] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80))
      t.match(res.json(), { message, field })
    }
    const badCsv = fileUpload('bad.csv', 'label,yi,se\nA,0.1,0.2\nB,abc,0.3\n', { name: 'x', kind: 'generic', measure: 'GEN', method: 'FE' })
    const res = await app.inject({ method: 'POST', url: `${base}/upload`, headers: { ...owner.auth, ...badCsv.headers }, payload: badCsv.payload })
    t.equal(res.statusCode, 400)
    t.match(res.json().message, /row 3, column yi: "abc" is not a number/)
    const unknownColumn = fileUpload('bad.csv', 'label,yi,stderr\nA,0.1,0.2\n', { name: 'x', kind: 'generic', measure: 'GEN', method: 'FE' })
    t.match((await app.inject({ method: 'POST', url: `${base}/upload`, headers: { ...owner.auth, ...unknownColumn.headers }, payload: unknownColumn.payload })).json().message, /column "stderr"/)
    const badEdit = await app.inject({ method: 'PATCH', url: `${base}/${bcgId}`, headers: owner.auth, payload: { kind: 'continuous' } })
    t.equal(badEdit.statusCode, 400, 'an edit that makes the definition invalid is refused')
    t.equal((await app.inject({ url: `${base}/${bcgId}`, headers: owner.auth })).json().kind, 'binary', 'and leaves the analysis as it was')
    t.equal((await app.inject({ url: base, headers: owner.auth })).json().length, before, 'nothing was stored')
    const foreign = await post({ kind: 'generic', measure: 'GEN', method: 'FE', rows: [{ label: 'a', yi: 1, se: 1, articleId: '00000000-0000-4000-8000-000000000000' }] })
    t.match(foreign.json(), { statusCode: 400, message: /not in this project/, field: 'rows[0].articleId' })
  })

  t.test('viewers read but do not write', async (t) => {
    const res = await app.inject({ method: 'POST', url: base, headers: viewer.auth, payload: { name: 'v', kind: 'binary', measure: 'OR', method: 'FE', rows: bcgRows } })
    t.equal(res.statusCode, 403)
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/${bcgId}`, headers: viewer.auth })).statusCode, 403)
  })

  t.test('forest and funnel plots as SVG, PNG and PDF', async (t) => {
    const forest = await app.inject({ url: `${base}/${bcgId}/forest.svg`, headers: viewer.auth })
    t.equal(forest.statusCode, 200)
    t.match(forest.headers['content-type'], /image\/svg\+xml/)
    const svg = forest.body
    t.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"[^>]*width="\d+(\.\d+)?"[^>]*height="\d+(\.\d+)?"/, 'a standalone SVG with a size')
    t.match(svg, /BCG &amp; TB &lt;OR&gt;/, 'the title, escaped')
    for (let i = 1; i <= 13; i++) t.ok(svg.includes(`>BCG trial ${i}<`), `study ${i} is labelled`)
    const studies = svg.match(/<g class="study">.*?<\/g>/g) ?? []
    t.equal(studies.length, 13, 'a row per study')
    t.ok(studies.every((g) => /<rect [^>]*width="[\d.]+"/.test(g) && /<line /.test(g)), 'each with a square and its interval')
    t.match(svg, /<g class="overall">.*?<polygon points="[^"]+"/, 'a diamond for the pooled estimate')
    t.match(svg, /<g class="prediction">/, 'the prediction interval (random effects)')
    t.match(svg, /Risk ratio/, 'the measure on the axis')
    const funnel = await app.inject({ url: `${base}/${bcgId}/funnel.svg`, headers: viewer.auth })
    t.equal(funnel.statusCode, 200)
    t.ok((funnel.body.match(/<circle /g) ?? []).length >= 13, 'a point per study')
    const png = await app.inject({ url: `${base}/${bcgId}/forest.png`, headers: viewer.auth })
    t.equal(png.statusCode, 200)
    t.same([...png.rawPayload.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG')
    const pdf = await app.inject({ url: `${base}/${bcgId}/funnel.pdf`, headers: viewer.auth })
    t.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-', 'a PDF')
  })

  t.test('delete, and deletion with the project', async (t) => {
    t.equal((await app.inject({ method: 'DELETE', url: `${base}/${bcgId}`, headers: owner.auth })).statusCode, 204)
    t.equal((await app.inject({ url: `${base}/${bcgId}`, headers: owner.auth })).statusCode, 404)
    t.equal((await app.inject({ method: 'DELETE', url: `/api/projects/${project.id}`, headers: owner.auth })).statusCode, 204)
    const left = await app.db.query.metaAnalyses.findMany()
    t.equal(left.length, 0, 'the project\'s analyses went with it')
  })
})
