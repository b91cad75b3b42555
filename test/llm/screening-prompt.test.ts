import t from 'tap'
import {
  buildExtractionPrompt, buildScreeningPrompt, DEFAULT_EXTRACTION_TEMPLATE, DEFAULT_SCREENING_TEMPLATE, extractionSchema,
  ExtractionAnswerError, formatCriteria, parseExtractionAnswer, parseScreeningAnswer, renderTemplate, ScreeningAnswerError,
  templatePlaceholders, TemplateError
} from '../../src/llm/screening-prompt.ts'

t.test('the default templates use exactly the documented placeholders', async (t) => {
  t.same(templatePlaceholders(DEFAULT_SCREENING_TEMPLATE).sort(), ['abstract', 'criteria', 'question', 'title'])
  t.same(templatePlaceholders(DEFAULT_EXTRACTION_TEMPLATE).sort(), ['abstract', 'fields', 'question', 'text', 'title'])
})

t.test('the screening prompt carries question, PICO criteria and the record', async (t) => {
  const built = buildScreeningPrompt({
    question: 'Is the digital therapeutic alliance associated with outcomes?',
    criteria: { population: 'Adults using mental-health apps', outcome: 'Working alliance (WAI)', exclusion: ['Protocols without results'] },
    record: { title: 'Alliance with a chatbot', abstract: null }
  })
  t.match(built.prompt, 'Review question:\nIs the digital therapeutic alliance associated with outcomes?')
  t.match(built.prompt, '- Population: Adults using mental-health apps')
  t.match(built.prompt, '- Outcomes: Working alliance (WAI)')
  t.match(built.prompt, 'Exclude when:\n  - Protocols without results')
  t.match(built.prompt, 'Title: Alliance with a chatbot\nAbstract: (no abstract available)')
  t.notMatch(built.prompt, /\{\{/)
  t.same((built.format as { required: string[] }).required, ['decision', 'probability', 'justification'])
})

t.test('free-text criteria and custom templates are used as given', async (t) => {
  t.equal(formatCriteria('  RCTs in adults only. '), 'RCTs in adults only.')
  t.equal(formatCriteria({}), '(no eligibility criteria given)')
  const built = buildScreeningPrompt({
    template: 'Q={{ question }} C={{criteria}} T={{title}} A={{abstract}}',
    question: 'q',
    criteria: 'RCTs',
    record: { title: 'A {{criteria}} trap', abstract: 'text' }
  })
  t.equal(built.prompt, 'Q=q C=RCTs T=A {{criteria}} trap A=text', 'values are inserted once, never re-expanded')
})

t.test('a template placeholder without a value is an error', async (t) => {
  t.throws(() => renderTemplate('Hello {{titel}}', { title: 'x' }), TemplateError)
  t.throws(() => buildScreeningPrompt({ template: '{{question}} {{populaton}}', question: 'q', record: {} }), /populaton/)
})

t.test('valid screening answers are parsed; case and a code fence are tolerated', async (t) => {
  t.same(parseScreeningAnswer('{"decision":"include","probability":0.8,"justification":"Matches PICO."}'),
    { decision: 'include', probability: 0.8, justification: 'Matches PICO.' })
  t.same(parseScreeningAnswer('```json\n{"decision":"Exclude","probability":0,"justification":" Wrong population. ","extra":1}\n```'),
    { decision: 'exclude', probability: 0, justification: 'Wrong population.' })
  t.equal(parseScreeningAnswer('{"decision":"maybe","probability":1,"justification":"x"}').probability, 1)
})

t.test('invalid screening answers raise ScreeningAnswerError naming the problem', async (t) => {
  const cases: Array<[string, string]> = [
    ['not json at all', 'malformed-json'],
    ['{"decision":"include","probability":0.9', 'malformed-json'],
    ['Sure! {"decision":"include","probability":0.9,"justification":"x"}', 'malformed-json'],
    ['[1,2]', 'not-an-object'],
    ['null', 'not-an-object'],
    ['{"decision":"accept","probability":0.9,"justification":"x"}', 'invalid-decision'],
    ['{"probability":0.9,"justification":"x"}', 'invalid-decision'],
    ['{"decision":"include","probability":"0.9","justification":"x"}', 'invalid-probability'],
    ['{"decision":"include","justification":"x"}', 'invalid-probability'],
    ['{"decision":"include","probability":90,"justification":"x"}', 'probability-out-of-range'],
    ['{"decision":"include","probability":-0.1,"justification":"x"}', 'probability-out-of-range'],
    ['{"decision":"include","probability":0.9,"justification":"  "}', 'missing-justification'],
    ['{"decision":"include","probability":0.9}', 'missing-justification']
  ]
  for (const [raw, problem] of cases) {
    const error = (() => { try { parseScreeningAnswer(raw); return undefined } catch (e) { return e } })()
    t.ok(error instanceof ScreeningAnswerError, raw)
    t.equal((error as ScreeningAnswerError).problem, problem, raw)
    t.equal((error as ScreeningAnswerError).raw, raw)
  }
})

t.test('extraction prompt, schema and answer parsing', async (t) => {
  const fields = ['Année', { name: 'Taille_échantillon', description: 'number of participants randomised' }]
  const built = buildExtractionPrompt({ question: 'q', fields, record: { title: 'T', abstract: 'An abstract.' } })
  t.match(built.prompt, '- Année\n- Taille_échantillon: number of participants randomised')
  t.match(built.prompt, 'Text:\nAn abstract.', 'the abstract stands in for a missing full text')
  t.same(extractionSchema(fields), {
    type: 'object',
    properties: { Année: { type: ['string', 'null'] }, Taille_échantillon: { type: ['string', 'null'], description: 'number of participants randomised' } },
    required: ['Année', 'Taille_échantillon']
  })
  t.same(parseExtractionAnswer('{"Année": 2021, "Taille_échantillon": null, "other": "dropped"}', fields), { Année: '2021', Taille_échantillon: null })
  t.throws(() => parseExtractionAnswer('{"Année": "2021"}', fields), ExtractionAnswerError)
  t.throws(() => parseExtractionAnswer('{"Année": ["2021"], "Taille_échantillon": null}', fields), ExtractionAnswerError)
  t.throws(() => parseExtractionAnswer('{"Année": ', fields), ExtractionAnswerError)
  t.throws(() => buildExtractionPrompt({ question: 'q', fields: [], record: {} }), TemplateError)
})
