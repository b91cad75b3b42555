import t from 'tap'
import { eq } from 'drizzle-orm'
import { articles, gridTemplates } from '../../src/db/schema.ts'
import { articleTextForExtraction } from '../../src/services/extraction.ts'
import { build, needsServices, userWithToken } from '../helper.ts'
import { trialGrid } from '../support/grids.ts'

const grid1 = trialGrid([{ label: 'Country', type: 'text' }])

t.test('grids, blind dual extraction, comparison, consensus, agreement and exports', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const bob = await userWithToken(app)
  const carol = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'Extraction' } })).json()
  for (const u of [bob, carol]) await app.inject({ method: 'PUT', url: `/api/projects/${project.id}/members`, headers: owner.auth, payload: { email: u.user.email, role: 'reviewer' } })
  const [a1, a2, a3] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'A chatbot trial', year: 2023, doi: '10.1/a' },
    { projectId: project.id, title: 'B cohort of app users', year: 2021 },
    { projectId: project.id, title: 'C third' }
  ]).returning()
  const api = `/api/projects/${project.id}`
  const call = (who: { auth: { authorization: string } }, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: who.auth, ...(payload ? { payload } : {}) })

  // Grids: rich, simple and seeded template; bad grids refused naming the field.
  const created = await call(owner, 'POST', '/grids', { definition: grid1 })
  t.equal(created.statusCode, 201, created.body)
  const grid = created.json()
  t.match(grid, { name: 'Trials', version: 1, currentVersion: 1, inUse: false })
  t.same(grid.definition.sections[0].fields.map((f: { key: string }) => f.key), ['sample_size', 'design', 'blinded', 'country', 'outcomes'])
  const simple = await call(owner, 'POST', '/grids', { definition: { name: 'Simple', fields: ['Année', 'DOI/PMID'] } })
  t.same(simple.json().definition.sections[0].fields.map((f: { key: string }) => f.key), ['annee', 'doi_pmid'])
  await app.db.insert(gridTemplates).values({ key: 'atn-test', name: 'ATN', fields: [{ name: 'Type_étude', type: 'text', description: '' }] })
  const fromTemplate = await call(owner, 'POST', '/grids', { templateKey: 'atn-test' })
  t.equal(fromTemplate.statusCode, 201, fromTemplate.body)
  t.equal(fromTemplate.json().definition.sections[0].fields[0].key, 'type_etude')
  t.equal((await call(owner, 'POST', '/grids', { templateKey: 'nope' })).statusCode, 404)
  const badGrid = await call(owner, 'POST', '/grids', { definition: { name: 'x', sections: [{ title: 's', fields: [{ label: 'Design', type: 'single_choice' }] }] } })
  t.equal(badGrid.statusCode, 400)
  t.match(badGrid.json().message, /sections\.0\.fields\.0\.choices: a single_choice field needs at least one choice/)
  t.equal((await call(bob, 'POST', '/grids', { definition: grid1 })).statusCode, 403, 'only owners edit grids')
  t.equal((await call(owner, 'GET', '/grids')).json().length, 3)
  const exported = await call(bob, 'GET', `/grids/${grid.id}/export`)
  t.same(JSON.parse(exported.body), grid.definition, 'the export is the rich definition')
  t.equal((await call(owner, 'POST', '/grids', { definition: JSON.parse(exported.body) })).statusCode, 201, 'and imports back')
  t.equal((await call(owner, 'DELETE', `/grids/${simple.json().id}`)).statusCode, 204)

  // Extractions: values checked; completion needs required fields.
  const mine = (who: typeof bob, articleId: string, body: object) => call(who, 'PUT', `/articles/${articleId}/extractions/mine`, { gridId: grid.id, ...body })
  const bad = await mine(bob, a1.id, { values: { sample_size: { value: 'many' }, mood: { value: 'x' } } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().message, /sample_size: must be an integer.*mood: is not a field of the grid/)
  const incomplete = await mine(bob, a1.id, { status: 'complete', values: { design: { value: 'RCT' } } })
  t.equal(incomplete.statusCode, 400)
  t.match(incomplete.json().message, /sample_size: is required/)
  const draft = await mine(bob, a1.id, { values: { sample_size: { value: 120, quote: 'we enrolled 120 adults', page: 0 } } })
  t.equal(draft.statusCode, 200, draft.body)
  t.match(draft.json(), { status: 'draft', gridVersion: 1, reviewerId: bob.user.id })

  // Blind: carol sees nothing of bob's until both are complete; the owner sees all.
  const seen = async (who: typeof bob, articleId = a1.id) => (await call(who, 'GET', `/articles/${articleId}/extractions?gridId=${grid.id}`)).json()
  t.match(await seen(carol), { extractions: [], hidden: 1 })
  t.equal((await seen(owner)).extractions.length, 1)
  t.equal((await call(carol, 'GET', `/articles/${a1.id}/extractions/comparison?gridId=${grid.id}`)).statusCode, 403)
  const carols = { sample_size: { value: 118 }, design: { value: 'RCT' }, blinded: { value: true }, country: { value: ' France' }, outcomes: { value: [{ arm: 'app', n: 60 }] } }
  t.equal((await mine(carol, a1.id, { status: 'complete', values: carols })).statusCode, 200)
  t.match(await seen(carol), { extractions: [{ reviewerId: carol.user.id }], hidden: 1 }, 'bob is still a draft')
  t.equal((await call(carol, 'GET', `/articles/${a1.id}/extractions/history`)).json().length, 1, 'nor is his history shown')
  const bobs = { sample_size: { value: 120, quote: 'we enrolled 120 adults', page: 0 }, design: { value: 'RCT' }, blinded: { value: false }, country: { value: 'france' }, outcomes: { value: [{ arm: 'app', n: 60 }] } }
  t.equal((await mine(bob, a1.id, { status: 'complete', values: bobs })).statusCode, 200)
  t.equal((await seen(carol)).extractions.length, 2, 'both complete: both visible')
  t.equal((await call(owner, 'GET', `/articles/${a1.id}/extractions/history?gridId=${grid.id}`)).json().length, 3, 'every save kept')

  const comparison = (await call(carol, 'GET', `/articles/${a1.id}/extractions/comparison?gridId=${grid.id}`)).json()
  t.equal(comparison.conflicts, 2)
  t.same(comparison.fields.filter((f: { agree: boolean }) => !f.agree).map((f: { key: string }) => f.key), ['sample_size', 'blinded'], 'case and spacing of texts do not count')

  // Consensus: owners and resolvers only.
  const consensusValues = { ...bobs, blinded: { value: false } }
  t.equal((await call(bob, 'PUT', `/articles/${a1.id}/extractions/consensus`, { gridId: grid.id, values: consensusValues })).statusCode, 403)
  t.equal((await call(owner, 'PUT', `/articles/${a1.id}/extractions/consensus`, { gridId: grid.id, values: { design: { value: 'RCT' } } })).statusCode, 400, 'a consensus is complete')
  const consensus = await call(owner, 'PUT', `/articles/${a1.id}/extractions/consensus`, { gridId: grid.id, values: consensusValues, note: 'checked the paper' })
  t.equal(consensus.statusCode, 200, consensus.body)
  t.match((await seen(bob)).consensus, [{ note: 'checked the paper', decidedBy: owner.user.id }])

  // A second article where the reviewers agree on blinded, disagree on design.
  await mine(bob, a2.id, { status: 'complete', values: { sample_size: { value: 40 }, design: { value: 'cohort' }, blinded: { value: true } } })
  await mine(carol, a2.id, { status: 'complete', values: { sample_size: { value: 40 }, design: { value: 'RCT' }, blinded: { value: true } } })
  const agreement = (await call(bob, 'GET', `/extractions/agreement?gridId=${grid.id}`)).json()
  const field = (key: string) => agreement.fields.find((f: { key: string }) => f.key === key)
  t.match(field('sample_size'), { items: 2, percentAgreement: 50, pairs: [{ items: 2, percentAgreement: 50, kappa: null }] })
  t.match(field('design'), { items: 2, percentAgreement: 50 })
  t.match(field('blinded'), { percentAgreement: 50, pairs: [{ kappa: 0 }] })
  t.equal(agreement.reviewers.length, 2)

  // Editing a grid in use makes a new version; existing extractions keep theirs.
  const edited = { ...grid1, sections: [{ ...grid1.sections[0], fields: [...grid1.sections[0].fields, { label: 'Funding', type: 'text' }] }] }
  const v2 = (await call(owner, 'PUT', `/grids/${grid.id}`, { definition: edited })).json()
  t.match(v2, { currentVersion: 2, version: 2, inUse: false })
  t.equal((await call(owner, 'GET', `/grids/${grid.id}?version=1`)).json().definition.sections[0].fields.length, 5, 'version 1 unchanged')
  t.equal((await call(owner, 'PUT', `/grids/${grid.id}`, { definition: edited })).json().currentVersion, 2, 'an unused version is edited in place')
  t.match((await mine(bob, a1.id, { status: 'complete', values: bobs })).json(), { gridVersion: 1 })
  const bad1 = await mine(bob, a1.id, { status: 'complete', values: { ...bobs, funding: { value: 'none' } } })
  t.equal(bad1.statusCode, 400, 'values are checked against the version the extraction uses')
  t.match((await mine(carol, a3.id, { values: { funding: { value: '=HYPERLINK("x")' } } })).json(), { gridVersion: 2 })
  t.same((await call(owner, 'GET', `/grids/${grid.id}/versions`)).json().map((v: { version: number; extractions: number }) => [v.version, v.extractions]), [[1, 4], [2, 1]])
  t.equal((await call(owner, 'DELETE', `/grids/${grid.id}`)).statusCode, 409, 'a grid in use is kept')

  // Exports.
  const csv = await call(bob, 'GET', `/extractions/export?gridId=${grid.id}&format=csv`)
  t.equal(csv.statusCode, 200)
  const lines = csv.body.trim().split('\r\n')
  t.equal(lines[0], 'article_id,title,year,doi,sample_size,design,blinded,country,outcomes.arm,outcomes.n,funding')
  t.equal(lines[1], `${a1.id},A chatbot trial,2023,10.1/a,120,RCT,false,france,app,60,`)
  t.equal(lines.length, 2, 'one row per article with a consensus')
  t.equal((await call(bob, 'GET', `/extractions/export?gridId=${grid.id}&variant=reviewers`)).statusCode, 403, 'individual extractions are blind')
  const perReviewer = (await call(owner, 'GET', `/extractions/export?gridId=${grid.id}&variant=reviewers`)).body.trim().split('\r\n')
  t.equal(perReviewer.length, 1 + 5)
  t.ok(perReviewer.some((l) => l.endsWith('\'=HYPERLINK("x")') || l.includes('"\'=HYPERLINK(""x"")"')), 'formulas are neutralised')
  const xlsx = await call(owner, 'GET', `/extractions/export?gridId=${grid.id}&format=xlsx&variant=reviewers`)
  t.equal(xlsx.statusCode, 200)
  const { default: ExcelJS } = await import('exceljs')
  const book = new ExcelJS.Workbook()
  await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer)
  const sheet = book.getWorksheet('Extraction')!
  t.equal(sheet.rowCount, 6)
  t.equal(sheet.getRow(1).getCell(7).value, 'sample_size')
  t.equal((await call(owner, 'GET', `/extractions/export?gridId=${grid.id}&variant=llm`)).body.trim().split('\r\n').length, 1, 'no model extractions yet')

  t.same(await articleTextForExtraction(app.db, a1.id), [{ page: 0, text: 'A chatbot trial' }])
  await app.db.update(articles).set({ abstract: 'We enrolled 120 adults.' }).where(eq(articles.id, a2.id))
  t.same(await articleTextForExtraction(app.db, a2.id), [{ page: 0, text: 'B cohort of app users\n\nWe enrolled 120 adults.' }])

  // Everything goes with the project.
  t.equal((await call(owner, 'DELETE', '')).statusCode, 204)
  const { rows } = await app.pg.pool.query(`SELECT (SELECT count(*) FROM extraction_grids) + (SELECT count(*) FROM extraction_grid_versions) + (SELECT count(*) FROM extractions)
    + (SELECT count(*) FROM extraction_history) + (SELECT count(*) FROM extraction_consensus) AS n`)
  t.equal(Number(rows[0].n), 0)
})
