import t from 'tap'
import { deriveJudgements, QUADAS2, validateAssessment } from '../../src/appraisal/index.ts'
import { assembleAssessment, domainJsonSchema, readDomainAnswer } from '../../src/appraisal/llm.ts'
import { rowOf, summaryShares, trafficLightPlot } from '../../src/appraisal/robvis.ts'
import { Invalid } from '../../src/errors.ts'

const YES = { 1.1: 'Y', 1.2: 'Y', 1.3: 'Y', 2.1: 'Y', 2.2: 'Y', 3.1: 'Y', 3.2: 'Y', 4.1: 'Y', 4.2: 'Y', 4.3: 'Y', 4.4: 'Y' }
const judged = (answers: Record<string, string>, judgements?: Record<string, string>) => deriveJudgements(QUADAS2, { answers, judgements })

t.test('QUADAS-2: every yes → low; any no → high proposed; unclear otherwise', async (t) => {
  t.same(QUADAS2.domains.map((d) => [d.id, d.questions.length, Boolean(d.applicability)]), [['D1', 3, false], ['D2', 2, false], ['D3', 2, false], ['D4', 4, false], ['A1', 0, true], ['A2', 0, true], ['A3', 0, true]])
  const low = judged(YES)
  t.same(low.domains.map((d) => d.judgement), ['low', 'low', 'low', 'low'])
  t.equal(low.overall.judgement, 'low')
  const mixed = judged({ ...YES, 1.2: 'N', 1.3: 'NI', 3.2: 'NI' })
  t.same(mixed.domains.map((d) => d.judgement), ['high', 'low', 'unclear', 'low'], 'a "no" outweighs an "unclear"')
  t.match(mixed.domains[0]!.path.join(' '), /"no" to 1\.2 flags potential for bias/)
  t.equal(mixed.overall.judgement, 'high')
  t.equal(judged({ ...YES, 4.4: 'NI' }).overall.judgement, 'unclear')
  const overridden = deriveJudgements(QUADAS2, { answers: { ...YES, 2.1: 'N' }, overrides: { D2: { judgement: 'unclear', reason: 'threshold explained later' } } })
  t.match(overridden.domains[1], { judgement: 'unclear', proposed: 'high' })
  t.throws(() => validateAssessment(QUADAS2, { answers: { ...YES, 1.1: 'PY' } }), Invalid, 'QUADAS-2 answers are yes / no / unclear')
  t.throws(() => validateAssessment(QUADAS2, { answers: YES, judgements: { D1: 'low' } }), Invalid, 'risk-of-bias domains are derived')
})

t.test('QUADAS-2 applicability concerns: optional, judged, outside the overall and the figures', async (t) => {
  const j = judged(YES, { A1: 'high', A3: 'unclear' })
  t.same(j.domains.map((d) => [d.id, d.judgement]), [['D1', 'low'], ['D2', 'low'], ['D3', 'low'], ['D4', 'low'], ['A1', 'high'], ['A3', 'unclear']])
  t.equal(j.overall.judgement, 'low')
  t.throws(() => validateAssessment(QUADAS2, { answers: YES, judgements: { A2: 'serious' } }), Invalid)
  const svg = trafficLightPlot(QUADAS2, [rowOf('Gamma 2022', j)])
  t.same([...svg.matchAll(/data-domain="([^"]+)"/g)].map((m) => m[1]), ['D1', 'D2', 'D3', 'D4', 'overall'])
  t.same(summaryShares(QUADAS2, [rowOf('a', j), rowOf('b', judged({ ...YES, 2.1: 'N' }))]).map((s) => s.id), ['D1', 'D2', 'D3', 'D4', 'overall'])
})

t.test('reading the model: allowed answers only, quotes verified, verdicts ignored, NA where a question does not apply', async (t) => {
  const pages = [{ page: 1, text: 'Consecutive patients were enrolled.' }, { page: 2, text: 'Readers were blinded to the biopsy result.' }]
  const d1 = QUADAS2.domains[0]!
  t.same((domainJsonSchema(d1) as { required: string[] }).required, ['1.1', '1.2', '1.3'])
  const reading = readDomainAnswer(d1, JSON.stringify({
    1.1: { answer: 'y', quote: 'consecutive  patients were enrolled', page: 7 }, 1.2: { answer: 'probably', quote: '' }, 1.3: { answer: 'NI', quote: 'made up' }, judgement: 'low'
  }), pages)
  t.same(reading.answers, { 1.1: 'Y', 1.3: 'NI' })
  t.same(reading.support['1.1'], { quote: 'consecutive  patients were enrolled', page: 1, quoteVerified: true })
  t.same(reading.support['1.3'], { quote: 'made up', quoteVerified: false })
  t.match(reading.problems, [/1\.2: "probably" is not an answer/, /1\.3: quote not found/])
  t.match(readDomainAnswer(d1, 'not json', pages).problems, [/not a JSON object/])
  const a = assembleAssessment(QUADAS2, [reading])
  t.equal(a.status, 'draft')
  t.ok(a.problems.includes('2.1: not answered'))
  const full = assembleAssessment(QUADAS2, [{ answers: YES, support: {}, problems: [] }])
  t.equal(full.status, 'complete')
})
