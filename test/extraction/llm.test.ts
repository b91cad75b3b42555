import t from 'tap'
import { parseGrid, gridFields } from '../../src/extraction/grid.ts'
import { extractionJsonSchema, findQuote, groupFields, readModelAnswer, selectPassages } from '../../src/extraction/llm.ts'

const grid = parseGrid({
  name: 'Trials',
  sections: [{
    title: 'Study',
    fields: [
      { label: 'Sample size', type: 'integer', description: 'participants randomised' },
      { label: 'Design', type: 'single_choice', choices: ['RCT', 'cohort'] },
      { label: 'Country', type: 'text' },
      { label: 'Funding', type: 'text' }
    ]
  }]
})
const pages = [
  { page: 0, text: 'A chatbot for depression: a randomised trial.\n\nWe randomised 120 participants in France.' },
  { page: 3, text: 'The trial was funded by the national agency. Partici-\npants were adults.' }
]

t.test('the answer schema has every field, typed, with quote and page', async (t) => {
  const schema = extractionJsonSchema(gridFields(grid)) as { properties: Record<string, { properties: { value: unknown } }>; required: string[] }
  t.same(schema.required, ['sample_size', 'design', 'country', 'funding'])
  t.same(schema.properties.sample_size.properties.value, { type: ['integer', 'null'] })
  t.same(schema.properties.design.properties.value, { enum: ['RCT', 'cohort', null] })
})

t.test('quotes are verified against the text', async (t) => {
  t.equal(findQuote('we randomised  120 PARTICIPANTS', pages), 0)
  t.equal(findQuote('Participants were adults', pages), 3, 'end-of-line hyphenation folded')
  t.equal(findQuote('participants were children', pages), null)
  const { values, problems } = readModelAnswer(grid, {
    sample_size: { value: 120, not_reported: false, quote: 'We randomised 120 participants', page: 7 },
    design: { value: 'case series', not_reported: false, quote: '', page: 0 },
    country: { value: 'France', not_reported: false, quote: 'recruited in Paris', page: 0 },
    funding: { value: null, not_reported: true, quote: '', page: 0 }
  }, pages)
  t.same(values, {
    sample_size: { value: 120, quote: 'We randomised 120 participants', page: 0 },
    design: { value: null, invalidValue: 'case series', problem: 'design: must be one of ["RCT","cohort"]' },
    country: { value: 'France', quote: 'recruited in Paris', quoteUnverified: true },
    funding: { value: null, notReported: true }
  })
  t.match(problems, [/design: .*does not fit/])
})

t.test('passages are chosen by overlap with the fields, in text order', async (t) => {
  const long = [{ page: 1, text: ['Background on chatbots and alliance.', 'Funding: the national agency funded the trial.', 'Unrelated discussion of limitations.'].join('\n\n') }]
  t.same(selectPassages(long, [gridFields(grid)[3]], 60), [{ page: 1, text: 'Funding: the national agency funded the trial.' }])
  t.equal(selectPassages(long, gridFields(grid), 10_000).length, 3, 'everything when it fits')
  t.same(selectPassages(long, gridFields(grid), 100), [{ page: 1, text: 'Funding: the national agency funded the trial.' }], 'otherwise only passages sharing words with the fields')
})

t.test('sections: methods and results first among equals, references never', async (t) => {
  const text = 'The sample size was 40.\n\nThe sample size was 50.\n\nA sample size paper.'
  const sections = [{ name: 'introduction', page: 1, offset: 0 }, { name: 'methods', page: 1, offset: 25 }, { name: 'references', page: 1, offset: 50 }]
  t.same(selectPassages([{ page: 1, text }], [gridFields(grid)[0]], 30, 800, sections), [{ page: 1, text: 'The sample size was 50.' }])
  t.same(selectPassages([{ page: 1, text }], [gridFields(grid)[0]], 1000, 800, sections).map((p) => p.text), ['The sample size was 40.', 'The sample size was 50.'])
})

t.test('fields are grouped within sections', async (t) => {
  const two = parseGrid({ name: 'g', sections: [{ title: 'a', fields: [{ label: 'A' }, { label: 'B' }, { label: 'C' }] }, { title: 'b', fields: [{ label: 'D' }] }] })
  t.same(groupFields(two, 2).map((g) => g.map((f) => f.key)), [['a', 'b'], ['c'], ['d']])
})
