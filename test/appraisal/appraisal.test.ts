import t, { type Test } from 'tap'
import { compareAssessments, deriveJudgements, getTool, validateAssessment, ROB1, ROB2, ROBINS_I } from '../../src/appraisal/index.ts'
import { Invalid } from '../../src/errors.ts'

// Answers that give low risk in every RoB 2 domain; each case below changes one domain.
const LOW: Record<string, string> = { 1.1: 'Y', 1.2: 'Y', 1.3: 'N', 2.1: 'N', 2.2: 'N', 2.6: 'Y', 3.1: 'Y', 4.1: 'N', 4.2: 'N', 4.3: 'N', 5.1: 'Y', 5.2: 'N', 5.3: 'N' }
const DOMAIN_QUESTIONS: Record<string, string[]> = {
  D1: ['1.1', '1.2', '1.3'], D2: ['2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7'], D3: ['3.1', '3.2', '3.3', '3.4'], D4: ['4.1', '4.2', '4.3', '4.4', '4.5'], D5: ['5.1', '5.2', '5.3']
}
function rob2(domain: string, answers: Record<string, string>) {
  const all = { ...LOW }
  for (const q of DOMAIN_QUESTIONS[domain]!) delete all[q]
  const result = deriveJudgements(ROB2, { answers: { ...all, ...answers } })
  return result.domains.find((d) => d.id === domain)!
}
type Case = [string, Record<string, string>, string]
function cases(t: Test, domain: string, list: Case[]) {
  for (const [why, answers, expected] of list) t.equal(rob2(domain, answers).judgement, expected, `${domain}: ${why}`)
}

t.test('RoB 2 domain 1 (guidance §5.1, algorithm for the randomization process)', async (t) => {
  cases(t, 'D1', [
    ['concealed, no baseline problem, random → low', { 1.1: 'Y', 1.2: 'Y', 1.3: 'N' }, 'low'],
    ['concealed, no information on randomness, no baseline information → low', { 1.1: 'NI', 1.2: 'PY', 1.3: 'NI' }, 'low'],
    ['concealed but sequence not random → some concerns', { 1.1: 'PN', 1.2: 'Y', 1.3: 'N' }, 'some concerns'],
    ['concealed but baseline differences suggest a problem → some concerns', { 1.1: 'Y', 1.2: 'Y', 1.3: 'PY' }, 'some concerns'],
    ['no information on concealment, no baseline problem → some concerns', { 1.1: 'Y', 1.2: 'NI', 1.3: 'N' }, 'some concerns'],
    ['no information on anything → some concerns', { 1.1: 'NI', 1.2: 'NI', 1.3: 'NI' }, 'some concerns'],
    ['no information on concealment and baseline problem → high', { 1.1: 'Y', 1.2: 'NI', 1.3: 'Y' }, 'high'],
    ['not concealed → high', { 1.1: 'Y', 1.2: 'PN', 1.3: 'N' }, 'high']
  ])
  t.same(rob2('D1', { 1.1: 'PN', 1.2: 'Y', 1.3: 'N' }).path, ['1.2 = Y', '1.3 = N', '1.1 = PN', '→ some concerns'])
})

t.test('RoB 2 domain 2, effect of assignment (guidance §6.3, parts 1 and 2, worst of the two)', async (t) => {
  const itt = { 2.6: 'Y' }
  cases(t, 'D2', [
    ['nobody aware, appropriate analysis → low', { 2.1: 'N', 2.2: 'PN', ...itt }, 'low'],
    ['aware, no deviations from trial context → low', { 2.1: 'Y', 2.2: 'N', 2.3: 'PN', ...itt }, 'low'],
    ['aware, no information on deviations → some concerns', { 2.1: 'NI', 2.2: 'N', 2.3: 'NI', ...itt }, 'some concerns'],
    ['deviations unlikely to affect the outcome → some concerns', { 2.1: 'Y', 2.2: 'Y', 2.3: 'Y', 2.4: 'N', ...itt }, 'some concerns'],
    ['deviations affecting the outcome but balanced → some concerns', { 2.1: 'Y', 2.2: 'Y', 2.3: 'Y', 2.4: 'PY', 2.5: 'Y', ...itt }, 'some concerns'],
    ['deviations affecting the outcome, unbalanced → high', { 2.1: 'Y', 2.2: 'Y', 2.3: 'PY', 2.4: 'Y', 2.5: 'PN', ...itt }, 'high'],
    ['deviations with no information on their effect nor balance → high', { 2.1: 'Y', 2.2: 'Y', 2.3: 'Y', 2.4: 'NI', 2.5: 'NI', ...itt }, 'high'],
    ['inappropriate analysis without substantial impact → some concerns', { 2.1: 'N', 2.2: 'N', 2.6: 'N', 2.7: 'PN' }, 'some concerns'],
    ['inappropriate analysis with substantial impact → high', { 2.1: 'N', 2.2: 'N', 2.6: 'PN', 2.7: 'Y' }, 'high'],
    ['no information on the analysis nor its impact → high', { 2.1: 'N', 2.2: 'N', 2.6: 'NI', 2.7: 'NI' }, 'high'],
    ['part 1 some concerns, part 2 low → some concerns', { 2.1: 'Y', 2.2: 'N', 2.3: 'NI', 2.6: 'PY' }, 'some concerns']
  ])
})

t.test('RoB 2 domain 3 (guidance §7.3, missing outcome data)', async (t) => {
  cases(t, 'D3', [
    ['data for nearly all → low', { 3.1: 'PY' }, 'low'],
    ['evidence of no bias → low', { 3.1: 'N', 3.2: 'Y' }, 'low'],
    ['missingness cannot depend on true value → low', { 3.1: 'NI', 3.2: 'N', 3.3: 'PN' }, 'low'],
    ['could depend, unlikely to → some concerns', { 3.1: 'N', 3.2: 'PN', 3.3: 'Y', 3.4: 'N' }, 'some concerns'],
    ['could depend, likely to → high', { 3.1: 'N', 3.2: 'N', 3.3: 'PY', 3.4: 'PY' }, 'high'],
    ['no information whether it depends → high', { 3.1: 'N', 3.2: 'N', 3.3: 'NI', 3.4: 'NI' }, 'high']
  ])
})

t.test('RoB 2 domain 4 (guidance §8.3, measurement of the outcome)', async (t) => {
  cases(t, 'D4', [
    ['inappropriate method → high', { 4.1: 'Y', 4.2: 'N' }, 'high'],
    ['measurement could differ between groups → high', { 4.1: 'N', 4.2: 'PY' }, 'high'],
    ['assessors unaware → low', { 4.1: 'N', 4.2: 'N', 4.3: 'N' }, 'low'],
    ['assessors aware, assessment could not be influenced → low', { 4.1: 'NI', 4.2: 'PN', 4.3: 'Y', 4.4: 'N' }, 'low'],
    ['aware, could be influenced, unlikely → some concerns', { 4.1: 'N', 4.2: 'N', 4.3: 'Y', 4.4: 'Y', 4.5: 'PN' }, 'some concerns'],
    ['aware, could be influenced, likely → high', { 4.1: 'N', 4.2: 'N', 4.3: 'Y', 4.4: 'PY', 4.5: 'Y' }, 'high'],
    ['no information on differences, assessors unaware → some concerns', { 4.1: 'N', 4.2: 'NI', 4.3: 'N' }, 'some concerns'],
    ['no information on differences, not influenced → some concerns', { 4.1: 'N', 4.2: 'NI', 4.3: 'NI', 4.4: 'PN' }, 'some concerns'],
    ['no information on differences, unlikely influenced → some concerns', { 4.1: 'N', 4.2: 'NI', 4.3: 'Y', 4.4: 'Y', 4.5: 'N' }, 'some concerns'],
    ['no information on differences, likely influenced → high', { 4.1: 'N', 4.2: 'NI', 4.3: 'Y', 4.4: 'Y', 4.5: 'NI' }, 'high']
  ])
})

t.test('RoB 2 domain 5 (guidance §9.3, selection of the reported result)', async (t) => {
  cases(t, 'D5', [
    ['pre-specified plan, no selection → low', { 5.1: 'Y', 5.2: 'N', 5.3: 'PN' }, 'low'],
    ['no pre-specified plan, no selection → some concerns', { 5.1: 'NI', 5.2: 'N', 5.3: 'N' }, 'some concerns'],
    ['no information on selection from analyses → some concerns', { 5.1: 'Y', 5.2: 'N', 5.3: 'NI' }, 'some concerns'],
    ['selected from outcome measurements → high', { 5.1: 'Y', 5.2: 'PY', 5.3: 'N' }, 'high'],
    ['selected from analyses → high', { 5.1: 'Y', 5.2: 'NI', 5.3: 'Y' }, 'high']
  ])
})

t.test('RoB 2 overall judgement (guidance §4.3: low if all low, high if any high)', async (t) => {
  t.equal(deriveJudgements(ROB2, { answers: LOW }).overall.judgement, 'low')
  t.equal(deriveJudgements(ROB2, { answers: { ...LOW, 5.1: 'N' } }).overall.judgement, 'some concerns')
  const high = deriveJudgements(ROB2, { answers: { ...LOW, 5.1: 'N', 1.2: 'N' } })
  t.equal(high.overall.judgement, 'high')
  t.same(high.overall.path, ['high in D1', '→ high'])
})

t.test('RoB 2: the reviewer may override a proposed judgement, with a reason', async (t) => {
  const r = deriveJudgements(ROB2, { answers: { ...LOW, 5.1: 'N' }, overrides: { D5: { judgement: 'high', reason: ' outcome switched from the registry ' } } })
  t.match(r.domains[4], { judgement: 'high', proposed: 'some concerns' })
  t.equal(r.domains[4]!.path.at(-1), 'overridden by the reviewer: high (outcome switched from the registry)')
  t.equal(r.overall.judgement, 'high', 'overall follows the overridden domain')
  const o = deriveJudgements(ROB2, { answers: { ...LOW, 5.1: 'N', 4.1: 'NI' }, overrides: { overall: { judgement: 'high', reason: 'some concerns in several domains' } } })
  t.match(o.overall, { judgement: 'high', proposed: 'some concerns' })
  t.throws(() => deriveJudgements(ROB2, { answers: LOW, overrides: { D1: { judgement: 'high', reason: '' } } }), /override of D1: give the reason/)
  t.throws(() => deriveJudgements(ROB2, { answers: LOW, overrides: { D1: { judgement: 'serious', reason: 'x' } } }), /override of D1: "serious" is not a judgement of rob2/)
  t.throws(() => deriveJudgements(ROB2, { answers: LOW, overrides: { D9: { judgement: 'high', reason: 'x' } } }), /rob2 has no domain "D9"/)
})

t.test('ROBINS-I overall judgement (Sterne et al. 2016, Table 2)', async (t) => {
  const judge = (js: string[]) => deriveJudgements(ROBINS_I, { judgements: Object.fromEntries(js.map((j, i) => [`D${i + 1}`, j])) }).overall.judgement
  t.equal(judge(['low', 'low', 'low', 'low', 'low', 'low', 'low']), 'low')
  t.equal(judge(['low', 'moderate', 'low', 'low', 'low', 'moderate', 'low']), 'moderate')
  t.equal(judge(['low', 'moderate', 'no information', 'low', 'low', 'low', 'low']), 'no information')
  t.equal(judge(['serious', 'moderate', 'no information', 'low', 'low', 'low', 'low']), 'serious')
  t.equal(judge(['serious', 'critical', 'no information', 'low', 'low', 'low', 'low']), 'critical')
})

t.test('RoB 1: reviewer-judged domains, summary as in Handbook 5.1 Table 8.7.a', async (t) => {
  const js = { D1: 'low', D2: 'unclear', D3: 'low', D4: 'low', D5: 'low', D6: 'low', D7: 'low' }
  const r = deriveJudgements(ROB1, { judgements: js })
  t.equal(r.domains[1]!.name, 'Allocation concealment')
  t.equal(r.overall.judgement, 'unclear')
  t.equal(deriveJudgements(ROB1, { judgements: { ...js, D7: 'high' } }).overall.judgement, 'high')
  t.throws(() => deriveJudgements(ROB1, { judgements: { ...js, D3: 'some concerns' } }), /domain D3: "some concerns" is not a judgement of rob1/)
  t.throws(() => deriveJudgements(ROB1, { judgements: { D1: 'low' } }), /domain D2 \(Allocation concealment\) has no judgement/)
})

t.test('validation names the question', async (t) => {
  const err = (input: Record<string, string>, complete = true) => {
    try { validateAssessment(ROB2, { answers: input }, { complete }); return null } catch (e) { t.type(e, Invalid); return e as Invalid }
  }
  // 2.3 applies only if 2.1 or 2.2 is Y/PY/NI.
  let e = err({ ...LOW, 2.3: 'Y' })
  t.match(e?.message, 'question 2.3 does not apply (If Y/PY/NI to 2.1 or 2.2)')
  t.equal(e?.field, 'answers/2.3')
  e = err({ ...LOW, 2.1: 'PY' })
  t.match(e?.message, 'question 2.3 applies and is not answered')
  t.equal(err({ ...LOW, 2.1: 'PY' }, false), null, 'a draft may leave applicable questions out')
  e = err({ ...LOW, 2.2: 'NI', 2.3: 'NA' })
  t.match(e?.message, 'question 2.3 applies (If Y/PY/NI to 2.1 or 2.2): answer one of Y, PY, PN, N, NI, not NA')
  t.match(err({ ...LOW, 3.1: 'N', 3.2: 'NI' })?.message, 'question 3.2 applies (If N/PN/NI to 3.1): answer one of Y, PY, PN, N, not NI')
  t.match(err({ ...LOW, 1.1: 'maybe' })?.message, 'question 1.1: "maybe" is not an answer')
  t.match(err({ ...LOW, 6.1: 'Y' })?.message, 'rob2 has no signalling question "6.1"')
  // 4.3 needs both 4.1 and 4.2 N/PN/NI.
  t.match(err({ ...LOW, 4.2: 'Y' })?.message, 'question 4.3 does not apply')
  t.match(validateAssessment(ROB2, { answers: { ...LOW, 1.1: 'py' } }).answers, { 1.1: 'PY', 2.3: 'NA', 3.2: 'NA' }, 'answers normalised, NA filled in')
  t.throws(() => getTool('quadas-3'), /unknown risk-of-bias tool "quadas-3"/)
  t.throws(() => validateAssessment(ROB2, { answers: LOW, judgements: { D1: 'low' } }), /give answers, not judgements/)
})

t.test('two reviewers compared', async (t) => {
  const a = { answers: { ...LOW } }
  const b = { answers: { ...LOW, 1.1: 'PY', 2.1: 'Y', 2.3: 'NI' } }
  const c = compareAssessments(ROB2, a, b)
  t.same(c.conflicts, ['1.1', '2.1', '2.3', 'D2', 'overall'])
  t.match(c.questions.find((q) => q.id === '1.1'), { a: 'Y', b: 'PY', agree: false, sameDirection: true })
  t.match(c.questions.find((q) => q.id === '2.3'), { a: 'NA', b: 'NI', agree: false })
  t.notOk(c.questions.some((q) => q.id === '2.4'), 'questions that apply to neither reviewer are left out')
  t.equal(c.questions.length, 14)
  t.equal(c.questionAgreement, 11 / 14)
  t.equal(c.domainAgreement, 4 / 5)
  t.same(c.overall, { a: 'low', b: 'some concerns', agree: false })
})
