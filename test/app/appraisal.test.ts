import t from 'tap'
import ExcelJS from 'exceljs'
import { ATN_V2_2 } from '../../src/appraisal/atn.ts'
import { articles } from '../../src/db/schema.ts'
import { build, needsServices, taskFinished, userWithToken } from '../helper.ts'

// A complete RoB 2 assessment: low in every domain but D3 (3.1 N, 3.2 N, 3.3 Y, 3.4 Y → high).
const HIGH_D3 = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'N', 3.2: 'N', 3.3: 'Y', 3.4: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
const ALL_LOW = { ...HIGH_D3, 3.1: 'Y', 3.2: 'NA', 3.3: 'NA', 3.4: 'NA' }

t.test('risk of bias and ATN scores through the API', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const viewer = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Appraisal' } })).json()
  const base = `/api/projects/${project.id}`
  for (const [u, role] of [[bob, 'reviewer'], [carol, 'reviewer'], [viewer, 'viewer']] as const) {
    await app.inject({ method: 'PUT', url: `${base}/members`, headers: owner.auth, payload: { email: u.user.email, role } })
  }
  const [a1, a2, a3] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'The digital therapeutic alliance with a conversational AI', abstract: 'A randomized controlled trial with longitudinal follow-up.', year: 2023, authors: [{ family: 'Smith', given: 'Ann' }, { family: 'Lee', given: 'Bo' }], data: { sampleSize: 120 } },
    { projectId: project.id, title: 'Telephone coaching', abstract: 'An nRCT of inaccessibility.', year: 2015, authors: [{ family: 'Jones', given: 'Cy' }], data: { sampleSize: 40 } },
    { projectId: project.id, title: 'Working alliance in digital health apps', abstract: 'A cohort study of patient engagement.', year: 2021, data: { keywords: ['user experience'] } }
  ]).returning()
  const rob = (id: string, tool = 'rob2') => `${base}/articles/${id}/rob/${tool}`

  await t.test('tools as data', async (t) => {
    const tools = (await app.inject({ url: '/api/appraisal/tools', headers: viewer.auth })).json()
    t.same(tools.map((x: { id: string }) => x.id), ['rob2', 'robins-i', 'rob1', 'quadas-2'])
    t.equal(tools[0].domains[1].questions[2].appliesIfText, 'If Y/PY/NI to 2.1 or 2.2')
  })

  await t.test('the caller\'s assessment: validated, judgements derived, drafts allowed, history kept', async (t) => {
    const draft = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: bob.auth, payload: { status: 'draft', answers: { 1.1: 'Y' }, support: { 1.1: { quote: 'computer-generated sequence', page: 3 } } } })
    t.equal(draft.statusCode, 200, draft.body)
    t.equal(draft.json().derived, null, 'a draft has no judgements')
    const incomplete = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: bob.auth, payload: { status: 'complete', answers: { 1.1: 'Y' } } })
    t.equal(incomplete.statusCode, 400)
    t.match(incomplete.json(), { message: /question 1\.2 applies and is not answered/, field: 'answers/1.2' })
    const notApplicable = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: bob.auth, payload: { status: 'complete', answers: { ...ALL_LOW, 3.2: 'Y' } } })
    t.equal(notApplicable.statusCode, 400)
    t.match(notApplicable.json().message, /3\.2 does not apply/)
    const typed = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: bob.auth, payload: { status: 'complete', answers: ALL_LOW, judgements: { D1: 'low' } } })
    t.equal(typed.statusCode, 400, 'RoB 2 judgements are derived, never typed')

    const done = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: bob.auth, payload: { status: 'complete', answers: HIGH_D3, overrides: {} } })
    t.equal(done.statusCode, 200, done.body)
    t.equal(done.json().derived.overall.judgement, 'high')
    t.same(done.json().derived.domains.map((d: { judgement: string }) => d.judgement), ['low', 'low', 'high', 'low', 'low'])
    t.equal(done.json().answers['2.3'], 'NA', 'questions that do not apply are recorded as NA')
    const mine = (await app.inject({ url: `${rob(a1.id)}/mine`, headers: bob.auth })).json()
    t.equal(mine.id, done.json().id, 'one current assessment per reviewer')
    t.equal((await app.inject({ url: `${rob(a1.id)}/mine`, headers: carol.auth })).statusCode, 404)
    const history = (await app.inject({ url: `${rob(a1.id)}/history`, headers: bob.auth })).json()
    t.same(history.map((h: { state: { status: string } }) => h.state.status), ['complete', 'draft'], 'every saved state kept, rejected saves not')
    t.equal((await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: viewer.auth, payload: { status: 'draft' } })).statusCode, 403)
    t.equal((await app.inject({ method: 'PUT', url: `${rob(a1.id, 'rob3')}/mine`, headers: bob.auth, payload: { status: 'draft' } })).statusCode, 400)

    const judged = await app.inject({ method: 'PUT', url: `${rob(a2.id, 'rob1')}/mine`, headers: bob.auth, payload: { status: 'complete', judgements: { D1: 'low', D2: 'unclear', D3: 'low', D4: 'low', D5: 'low', D6: 'low', D7: 'low' } } })
    t.equal(judged.json().derived.overall.judgement, 'unclear', 'RoB 1: the reviewer judges the domains, the overall rule applies')
  })

  await t.test('two reviewers compared, blind mode, consensus', async (t) => {
    const carols = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/mine`, headers: carol.auth, payload: { status: 'complete', answers: ALL_LOW } })
    t.equal(carols.json().derived.overall.judgement, 'low')
    const cmp = (await app.inject({ url: `${rob(a1.id)}/compare`, headers: owner.auth })).json()
    t.same(cmp.conflicts, ['3.1', '3.2', '3.3', '3.4', 'D3', 'overall'])
    t.equal(cmp.domainAgreement, 0.8)

    t.equal((await app.inject({ method: 'PATCH', url: `${base}/screening-settings`, headers: owner.auth, payload: { blind: true } })).statusCode, 200)
    const seen = (await app.inject({ url: rob(a1.id), headers: carol.auth })).json()
    t.same(seen.map((a: { reviewerId: string }) => a.reviewerId), [carol.user.id], 'blind: a reviewer sees only their own assessment')
    t.equal((await app.inject({ url: rob(a1.id), headers: owner.auth })).json().length, 2, 'the owner sees both')
    t.equal((await app.inject({ url: `${rob(a1.id)}/compare`, headers: carol.auth })).statusCode, 403)
    t.equal((await app.inject({ method: 'PUT', url: `${rob(a1.id)}/consensus`, headers: carol.auth, payload: { status: 'complete', answers: ALL_LOW } })).statusCode, 403)
    t.equal((await app.inject({ url: `${base}/rob/rob2/table?reviewer=${bob.user.id}`, headers: carol.auth })).statusCode, 403)

    const consensus = await app.inject({ method: 'PUT', url: `${rob(a1.id)}/consensus`, headers: owner.auth, payload: { status: 'complete', answers: ALL_LOW, overrides: { D5: { judgement: 'some concerns', reason: 'protocol registered late' } } } })
    t.equal(consensus.statusCode, 200, consensus.body)
    t.match(consensus.json().derived.domains[4], { judgement: 'some concerns', proposed: 'low' })
    t.equal(consensus.json().derived.overall.judgement, 'some concerns')
    t.equal((await app.inject({ url: rob(a1.id), headers: carol.auth })).json()[0].kind, 'consensus', 'everyone sees the consensus')
  })

  await t.test('project table (JSON, CSV, XLSX) and robvis figures', async (t) => {
    await app.inject({ method: 'PUT', url: `${rob(a2.id)}/mine`, headers: bob.auth, payload: { status: 'complete', answers: HIGH_D3 } })
    const table = (await app.inject({ url: `${base}/rob/rob2/table?reviewer=${bob.user.id}`, headers: owner.auth })).json()
    t.same(table.rows.map((r: { study: string, source: string, overall: string }) => [r.study, r.source, r.overall]), [['Jones 2015', 'reviewer', 'high'], ['Smith et al. 2023', 'consensus', 'some concerns']])
    const csv = await app.inject({ url: `${base}/rob/rob2/table?reviewer=${bob.user.id}&format=csv`, headers: owner.auth })
    t.match(csv.headers['content-type'], /text\/csv/)
    t.match(csv.body.split('\n')[2], /Smith et al\. 2023.*consensus,low,low,low,low,some concerns,some concerns/)
    const xlsx = await app.inject({ url: `${base}/rob/rob2/table?reviewer=${bob.user.id}&format=xlsx`, headers: owner.auth })
    const workbook = new ExcelJS.Workbook()
    await workbook.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer)
    t.equal(workbook.worksheets[0]!.getRow(2).getCell(10).value, 'high')

    const light = await app.inject({ url: `${base}/rob/rob2/traffic-light.svg?reviewer=${bob.user.id}`, headers: owner.auth })
    t.equal(light.statusCode, 200)
    t.match(light.headers['content-type'], /image\/svg\+xml/)
    t.match(light.body, /Smith et al\. 2023/)
    const equal = (await app.inject({ url: `${base}/rob/rob2/summary.svg?reviewer=${bob.user.id}`, headers: owner.auth })).body
    const weighted = (await app.inject({ url: `${base}/rob/rob2/summary.svg?reviewer=${bob.user.id}&weighted=sampleSize`, headers: owner.auth })).body
    t.match(equal, /50%/, 'equal weights: one study of two')
    t.match(weighted, /75%/, 'weighted by sample size: 120 of 160')
    const missing = await app.inject({ url: `${base}/rob/rob2/summary.svg?reviewer=${bob.user.id}&weighted=n`, headers: owner.auth })
    t.equal(missing.statusCode, 400)
    t.match(missing.json(), { field: 'weighted', message: /2 of 2 studies have no numeric "n"/ })
    t.equal((await app.inject({ url: `${base}/rob/robins-i/traffic-light.svg`, headers: owner.auth })).statusCode, 409, 'nothing to plot')
  })

  await t.test('ATN criteria, scoring task, scores with statistics', async (t) => {
    const criteria = (await app.inject({ url: `${base}/atn/criteria`, headers: viewer.auth })).json()
    t.same(criteria, { source: 'seeded', set: ATN_V2_2 }, 'the seeded set is the module\'s ATN v2.2')
    const listed = async (query: string) => (await app.inject({ url: `${base}/articles?${query}`, headers: viewer.auth })).json().items.map((a: { id: string }) => a.id)
    t.same(await listed('minAtn=1'), [], 'no article scored yet')
    const task = await app.inject({ method: 'POST', url: `${base}/atn/score`, headers: bob.auth })
    t.equal(task.statusCode, 202, task.body)
    const finished = await taskFinished(app, bob.auth, task.json().id)
    t.equal(finished.status, 'succeeded', JSON.stringify(finished))
    t.match(finished.result, { scored: 3, setVersion: 'ATN 2.2' })
    const page = (await app.inject({ url: `${base}/atn/scores`, headers: viewer.auth })).json()
    t.same(page.items.map((i: { articleId: string }) => i.articleId), [a1.id, a3.id, a2.id], 'highest first')
    // a1: alliance 8+6 capped? "digital therapeutic alliance" 8 + "therapeutic alliance" 6 = 14; "digital therapeutic" 4; "conversational ai" 6;
    // "randomized controlled trial" 5; 2023 +10; longitudinal +5 → 44 / 110 = 40%.
    t.equal(page.items[0].score, 40)
    t.equal(page.items[2].score, 0, '"nRCT" and "inaccessibility" match no term: words, not substrings')
    t.same(page.stats.byCategory, { 'not very relevant': 3 })
    t.equal(page.stats.count, 3)
    t.equal(page.stats.median, page.items[1].score)
    t.same((await listed('minAtn=1')).sort(), [a1.id, a3.id].sort(), 'the cached article page follows the scores written by the task')
    t.same(await listed('sort=atn&order=desc'), [a1.id, a3.id, a2.id], 'articles sorted by ATN score')
    const detail = (await app.inject({ url: `${base}/atn/scores/${a1.id}`, headers: viewer.auth })).json()
    t.same(detail.justification.longitudinalTermsFound, ['longitudinal', 'follow-up'])
    const filtered = (await app.inject({ url: `${base}/atn/scores?minScore=1&sort=score`, headers: viewer.auth })).json()
    t.same(filtered.items.map((i: { articleId: string }) => i.articleId), [a3.id, a1.id])
    t.equal(filtered.stats.count, 2)

    const own = { ...ATN_V2_2, version: 'local', categories: [{ label: 'relevant', min: 35 }, { label: 'other', min: 0 }] }
    t.equal((await app.inject({ method: 'PUT', url: `${base}/atn/criteria`, headers: bob.auth, payload: own })).statusCode, 403, 'owners set the criteria')
    const bad = await app.inject({ method: 'PUT', url: `${base}/atn/criteria`, headers: owner.auth, payload: { ...own, categories: [{ label: 'a', min: 10 }, { label: 'b', min: 20 }] } })
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { field: 'categories' })
    t.equal((await app.inject({ method: 'PUT', url: `${base}/atn/criteria`, headers: owner.auth, payload: own })).statusCode, 200)
    const before = (await app.db.execute<{ v: string }>(`SELECT data_version AS v FROM projects WHERE id = '${project.id}'`)).rows[0]!.v
    await taskFinished(app, bob.auth, (await app.inject({ method: 'POST', url: `${base}/atn/score`, headers: bob.auth })).json().id)
    const after = (await app.db.execute<{ v: string }>(`SELECT data_version AS v FROM projects WHERE id = '${project.id}'`)).rows[0]!.v
    t.ok(Number(after) > Number(before), 'stored scores bump the project\'s data version')
    const rescored = (await app.inject({ url: `${base}/atn/scores?category=relevant`, headers: viewer.auth })).json()
    t.same(rescored.items.map((i: { articleId: string, setVersion: string }) => [i.articleId, i.setVersion]), [[a1.id, 'ATN local']])
  })

  await t.test('deleting the project removes its assessments and scores', async (t) => {
    t.equal((await app.inject({ method: 'DELETE', url: base, headers: owner.auth })).statusCode, 204)
    for (const table of ['rob_assessments', 'rob_assessment_history', 'atn_scores', 'atn_criteria_sets']) {
      const { rows } = await app.db.execute<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE project_id = '${project.id}'`)
      t.equal(rows[0]!.n, 0, table)
    }
  })
})
