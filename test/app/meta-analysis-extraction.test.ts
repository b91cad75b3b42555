import { readFileSync } from 'node:fs'
import t from 'tap'
import { articles } from '../../src/db/schema.ts'
import { resolveRows } from '../../src/synthesis/extraction-inputs.ts'
import { build, needsServices, userWithToken } from '../helper.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/meta-analysis/metafor.json', import.meta.url), 'utf8')) as {
  cases: Array<{ name: string, studies: Array<Record<string, number>>, expected: Record<string, number> }>
}
const bcg = fixtures.cases.find((c) => c.name === 'bcg OR REML')!

const grid = {
  name: 'Trial outcomes',
  sections: [{
    title: 'Outcome', fields: [
      { key: 'events_intervention', label: 'Events (vaccinated)', type: 'integer' },
      { key: 'total_intervention', label: 'Total (vaccinated)', type: 'integer' },
      { key: 'events_control', label: 'Events (control)', type: 'integer' },
      { key: 'total_control', label: 'Total (control)', type: 'text' },
      { key: 'latitude', label: 'Latitude', type: 'single_choice', choices: ['north', 'south'] },
      { key: 'arms', label: 'Arms', type: 'rows', columns: [{ key: 'outcome', label: 'Outcome' }, { key: 'arm', label: 'Arm' }, { key: 'events', label: 'Events', type: 'integer' }, { key: 'n', label: 'N', type: 'integer' }] }
    ]
  }]
}

t.test('rows from extraction: every article either gives a row or is listed with its reason', async (t) => {
  const mapping = { source: 'extraction' as const, gridId: 'g', fields: { events1: 'e1', total1: 't1', events2: 'e2', total2: 't2' } }
  const { rows, excluded } = resolveRows('binary', mapping, [
    { articleId: 'a', label: 'A 2001', values: { e1: { value: 3 }, t1: { value: '40' }, e2: { value: 5 }, t2: { value: 41 } } },
    { articleId: 'b', label: 'B 2002', values: { e1: { notReported: true }, t1: { value: 40 }, e2: { value: 5 }, t2: { value: 41 } } },
    { articleId: 'c', label: 'C 2003', values: { e1: { value: 50 }, t1: { value: 40 }, e2: { value: 5 }, t2: { value: 41 } } },
    { articleId: 'd', label: 'D 2004', values: { e1: { value: 3 }, t1: { value: 'forty' }, e2: { value: 5 }, t2: { value: 41 } } },
    { articleId: 'e', label: 'E 2005', values: null }
  ])
  t.same(rows, [{ label: 'A 2001', articleId: 'a', events1: 3, total1: 40, events2: 5, total2: 41 }], 'a number written as text is read')
  t.same(excluded.map((e) => [e.articleId, e.reason]), [
    ['b', 'events1: field "e1" is marked not reported'],
    ['c', 'events1 (50) exceeds total1 (40)'],
    ['d', 'total1: field "t1" is "forty", not a number'],
    ['e', 'no consensus extraction with this grid']
  ])
})

t.test('a meta-analysis built from consensus extraction equals the same data entered as a table', { skip: needsServices }, async (t) => {
  const app = await build(t)
  const owner = await userWithToken(app)
  const project = (await app.inject({ method: 'POST', url: '/api/projects', headers: owner.auth, payload: { name: 'BCG from extraction' } })).json()
  const api = `/api/projects/${project.id}`
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) =>
    app.inject({ method, url: `${api}${url}`, headers: owner.auth, ...(payload ? { payload } : {}) })

  // Thirteen included trials, one with a missing value, one included without consensus, one excluded at screening.
  const trials = await app.db.insert(articles).values(bcg.studies.map((s, i) => ({
    projectId: project.id, title: `BCG trial ${s.id}`, year: 1940 + i, authors: [{ family: `Author${String.fromCharCode(65 + i)}` }], sourceIndex: i
  }))).returning()
  const [missing, noConsensus, excludedAtScreening] = await app.db.insert(articles).values([
    { projectId: project.id, title: 'Trial with a missing count', year: 1990, authors: [{ family: 'Gap' }] },
    { projectId: project.id, title: 'Trial not yet extracted', year: 1991, authors: [{ family: 'Later' }] },
    { projectId: project.id, title: 'Excluded trial', year: 1992, authors: [{ family: 'Out' }] }
  ]).returning()
  for (const a of [...trials, missing, noConsensus]) t.equal((await call('POST', `/articles/${a.id}/decisions`, { decision: 'include' })).statusCode, 201)
  t.equal((await call('POST', `/articles/${excludedAtScreening.id}/decisions`, { decision: 'exclude' })).statusCode, 201)

  const created = await call('POST', '/grids', { definition: grid })
  t.equal(created.statusCode, 201, created.body)
  const gridId = created.json().id
  const consensus = async (articleId: string, values: object) => {
    const res = await call('PUT', `/articles/${articleId}/extractions/consensus`, { gridId, values })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
  }
  for (const [i, s] of bcg.studies.entries()) {
    await consensus(trials[i].id, {
      events_intervention: { value: s.events1 }, total_intervention: { value: s.total1 }, events_control: { value: s.events2 },
      total_control: { value: String(s.total2) }, latitude: { value: i < 6 ? 'north' : 'south' },
      arms: { value: [{ outcome: 'TB', arm: 'vaccine', events: s.events1, n: s.total1 }, { outcome: 'TB', arm: 'control', events: s.events2, n: s.total2 }] }
    })
  }
  await consensus(missing.id, { events_intervention: { value: 3 }, total_intervention: { value: 100 }, events_control: { notReported: true }, total_control: { value: '100' } })
  await consensus(excludedAtScreening.id, { events_intervention: { value: 1 }, total_intervention: { value: 10 }, events_control: { value: 2 }, total_control: { value: '10' } })

  const table = await call('POST', '/analyses', {
    name: 'As a table', kind: 'binary', measure: 'OR', method: 'REML',
    rows: bcg.studies.map((s, i) => ({ label: `Trial ${i}`, events1: s.events1, total1: s.total1, events2: s.events2, total2: s.total2 }))
  })
  t.equal(table.statusCode, 201, table.body.slice(0, 300))
  const fields = { events1: 'events_intervention', total1: 'total_intervention', events2: 'events_control', total2: 'total_control' }
  const res = await call('POST', '/analyses', { name: 'From extraction', kind: 'binary', measure: 'OR', method: 'REML', inputs: { source: 'extraction', gridId, fields } })
  t.equal(res.statusCode, 201, res.body.slice(0, 500))
  const fromExtraction = (await call('GET', `/analyses/${res.json().id}`)).json()
  const expected = table.json().result.pooled
  for (const k of ['estimate', 'se', 'ciLb', 'ciUb', 'pval'] as const) t.ok(Math.abs(fromExtraction.result.pooled[k] - expected[k]) < 1e-12, `${k} equals the table's`)
  t.ok(Math.abs(fromExtraction.result.pooled.estimate - bcg.expected.est) < 1e-6 * Math.abs(bcg.expected.est), 'and metafor\'s')
  t.equal(fromExtraction.rows.length, 13)
  t.same(fromExtraction.rows[0], { label: 'AuthorA 1940', articleId: trials[0].id, events1: 4, total1: 123, events2: 11, total2: 139 }, 'rows name their article')
  t.match(fromExtraction.extractionInputs, { mapping: { source: 'extraction', gridId, fields }, gridVersion: 1, included: 15 })
  t.same(fromExtraction.extractionInputs.excluded.map((e: Json) => [e.articleId, e.label, e.reason]).sort(), [
    [missing.id, 'Gap 1990', 'events2: field "events_control" is marked not reported'],
    [noConsensus.id, 'Later 1991', 'no consensus extraction with this grid']
  ].sort(), 'the studies left out are reported with the reason; an excluded record is not considered')

  // The same numbers from a rows field, one row per arm, with subgroups from a field.
  const arm = (column: string, a: string) => ({ rows: 'arms', column, where: { outcome: 'tb', arm: a } })
  const byArm = await call('POST', '/analyses', {
    name: 'Arms', kind: 'binary', measure: 'OR', method: 'REML',
    inputs: { source: 'extraction', gridId, fields: { events1: arm('events', 'vaccine'), total1: arm('n', 'vaccine'), events2: arm('events', 'control'), total2: arm('n', 'control') }, group: 'latitude' }
  })
  t.equal(byArm.statusCode, 201, byArm.body.slice(0, 500))
  t.ok(Math.abs(byArm.json().result.pooled.estimate - expected.estimate) < 1e-12, 'rows-field mapping gives the same estimate')
  t.same(byArm.json().result.subgroups.groups.map((g: Json) => [g.group, g.k]), [['north', 6], ['south', 7]])
  t.match(byArm.json().extractionInputs.excluded.find((e: Json) => e.articleId === missing.id).reason, /arms has no rows/)

  // Bad mappings are refused naming the field; nothing is stored.
  const bad = async (inputs: object, field: RegExp, kind = 'binary') => {
    const r = await call('POST', '/analyses', { name: 'Bad', kind, measure: kind === 'binary' ? 'OR' : 'MD', method: 'DL', inputs: { source: 'extraction', gridId, ...inputs } })
    t.equal(r.statusCode, 400, r.body)
    t.match(r.json().message, field)
  }
  await bad({ fields: { ...fields, total2: 'no_such_field' } }, /inputs\.fields\.total2: the grid has no field "no_such_field"/)
  await bad({ fields: { events1: 'events_intervention' } }, /binary input needs total1/)
  await bad({ fields: { ...fields, mean1: 'events_intervention' } }, /mean1 is not an input of binary analyses/)
  await bad({ fields: { ...fields, events1: 'arms' } }, /"arms" is a rows field/)
  await bad({ fields: { ...fields, events1: { rows: 'arms', column: 'deaths' } } }, /rows field "arms" has no column "deaths"/)
  await bad({ fields: { mean1: 'latitude', sd1: 'latitude', n1: 'latitude', mean2: 'latitude', sd2: 'latitude', n2: 'latitude' } }, /no input rows from extraction: none of the 15 included studies/, 'continuous')
  const both = await call('POST', '/analyses', { name: 'Both', kind: 'binary', measure: 'OR', method: 'DL', rows: [{ label: 'x', events1: 1, total1: 2, events2: 1, total2: 2 }], inputs: { source: 'extraction', gridId, fields } })
  t.equal(both.statusCode, 400)
  t.equal((await call('GET', '/analyses')).json().length, 3, 'no refused analysis was stored')

  // Editing the extraction and re-applying the mapping rebuilds the rows.
  await consensus(missing.id, { events_intervention: { value: 3 }, total_intervention: { value: 100 }, events_control: { value: 9 }, total_control: { value: '100' } })
  const again = await call('PATCH', `/analyses/${res.json().id}`, { inputs: { source: 'extraction', gridId, fields } })
  t.equal(again.statusCode, 200, again.body.slice(0, 300))
  t.equal(again.json().rows.length, 14)
  t.same(again.json().extractionInputs.excluded.map((e: Json) => e.articleId), [noConsensus.id])
})
