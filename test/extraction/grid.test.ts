import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { checkGrid, comparable, gridFields, keyFromLabel, parseGrid, tableColumns, valueProblems, type Grid } from '../../src/extraction/grid.ts'
import { DATASETS } from '../helper.ts'
import { trialGrid } from '../support/grids.ts'

const rich = trialGrid([
  { label: 'Dose', type: 'number', unit: 'mg' },
  { label: 'Started', type: 'date' },
  { label: 'Settings', type: 'multiple_choice', choices: ['home', 'clinic'] }
])

t.test('the simple format becomes one section of text fields with stable keys', async (t) => {
  const atn = JSON.parse(readFileSync(path.join(DATASETS, 'atn-extraction-grid.json'), 'utf8'))
  const grid = parseGrid(atn)
  const fields = gridFields(grid)
  t.equal(fields.length, 30)
  t.same(fields.slice(0, 5).map((f) => f.key), ['id_etude', 'auteurs', 'annee', 'titre', 'doi_pmid'])
  t.ok(fields.every((f) => f.type === 'text'))
  t.same(gridFields(parseGrid(atn)).map((f) => f.key), fields.map((f) => f.key), 'the same labels give the same keys')
  t.same(gridFields(parseGrid({ name: 'x', fields: ['A b', 'a-b', '1st'] })).map((f) => f.key), ['a_b', 'a_b_2', 'f_1st'])
  t.equal(keyFromLabel('WAI-SR_modifié'), 'wai_sr_modifie')
  t.same(gridFields(parseGrid({ name: 'seeded', fields: [{ name: 'Notes', type: 'long_text', description: 'free text' }] }))[0], { key: 'notes', label: 'Notes', type: 'long_text', description: 'free text' })
})

t.test('a rich grid is checked and normalised', async (t) => {
  const grid = parseGrid(rich)
  t.same(gridFields(grid).map((f) => f.key), ['sample_size', 'design', 'blinded', 'dose', 'started', 'settings', 'outcomes'])
  t.same(gridFields(grid)[6].columns?.map((c) => c.key), ['arm', 'n'])
  t.equal(gridFields(grid)[6].columns?.[0].type, 'text', 'type defaults to text')
  const bad = (mutate: (g: typeof rich) => void) => {
    const g = structuredClone(rich)
    mutate(g)
    return checkGrid(g).problems.map((p) => `${p.field}: ${p.message}`).join('; ')
  }
  t.match(bad((g) => { (g.sections[0].fields[1] as { choices?: string[] }).choices = [] }), /sections\.0\.fields\.1\.choices: a single_choice field needs at least one choice/)
  t.match(bad((g) => { Object.assign(g.sections[0].fields[0], { key: 'x' }); Object.assign(g.sections[0].fields[1], { key: 'x' }) }), /key "x" is used twice/)
  t.match(bad((g) => { delete (g.sections[0].fields[6] as { columns?: unknown }).columns }), /needs columns/)
  t.match(bad((g) => { Object.assign(g.sections[0].fields[0], { type: 'float' }) }), /sections\.0\.fields\.0\.type/)
  t.match(bad((g) => { Object.assign(g.sections[0].fields[2], { unit: 'kg' }) }), /unit: only number/)
  t.throws(() => parseGrid({ name: 'no fields' }), /sections/)
})

t.test('values are checked against the grid', async (t) => {
  const grid: Grid = parseGrid(rich)
  t.same(valueProblems(grid, {
    sample_size: { value: 120, quote: 'we enrolled 120', page: 3 }, design: { value: 'RCT' }, blinded: { value: false }, dose: { value: 2.5 },
    started: { value: '2021-03' }, settings: { value: ['home'] }, outcomes: { value: [{ arm: 'app', n: 60 }, { arm: 'control', n: 60 }] }
  }, true), [])
  const problems = valueProblems(grid, {
    sample_size: { value: 1.5 }, design: { value: 'case series' }, blinded: { value: 'no' }, started: { value: '03/2021' },
    settings: { value: ['home', 'home'] }, outcomes: { value: [{ arm: 'app', n: 'sixty', colour: 1 }] }, mood: { value: 'x' }
  }, false)
  t.same(problems.map((p) => p.field), ['sample_size', 'design', 'blinded', 'started', 'settings', 'outcomes.0.n', 'outcomes.0.colour', 'mood'])
  t.same(valueProblems(grid, {}, false), [], 'a draft may be empty')
  t.same(valueProblems(grid, {}, true).map((p) => p.field), ['sample_size'], 'completion needs the required fields')
  t.same(valueProblems(grid, { sample_size: { value: null, notReported: true } }, true), [], 'or their explicit "not reported"')
  t.same(valueProblems(grid, { sample_size: { value: 3, notReported: true } }, false).map((p) => p.field), ['sample_size'])
})

t.test('comparison folds spacing and case; the table flattens rows', async (t) => {
  const grid = parseGrid(rich)
  const [, design, , , , settings, outcomes] = gridFields(grid)
  t.equal(comparable(design, { value: 'RCT' }), comparable(design, { value: ' rct ' }))
  t.equal(comparable(settings, { value: ['home', 'clinic'] }), comparable(settings, { value: ['clinic', 'home'] }))
  t.not(comparable(outcomes, { value: [{ arm: 'a', n: 1 }] }), comparable(outcomes, { value: [{ arm: 'a', n: 2 }] }))
  t.not(comparable(design, { value: null, notReported: true }), comparable(design, undefined))
  const columns = tableColumns(grid)
  t.same(columns.map((c) => c.header), ['sample_size', 'design', 'blinded', 'dose', 'started', 'settings', 'outcomes.arm', 'outcomes.n'])
  const values = { sample_size: { value: null, notReported: true }, settings: { value: ['home', 'clinic'] }, outcomes: { value: [{ arm: 'app', n: 60 }, { arm: 'control' }] } }
  t.same(columns.map((c) => c.cell(values)), ['NR', '', '', '', '', 'home; clinic', 'app | control', '60 | '])
})
