import t from 'tap'
import { ATN_V2_2, scoreArticle, validateCriteriaSet, type AtnCriteriaSet } from '../../src/appraisal/atn.ts'
import { Invalid } from '../../src/errors.ts'

t.test('hand-computed ATN v2.2 scores', async (t) => {
  // therapeutic alliance: 6 + 6 + 8 = 20 (cap 20); conversational AI: 8 + 8 + 6 = 22 → cap 15;
  // digital health: "digital therapeutic" 4 (inside "digital therapeutic alliance", as in the original);
  // year 2023: +10; "follow-up": +5. Total 20 + 15 + 4 + 15 = 54 → 54 / 110 = 49.09… → 49.1 %.
  const a = scoreArticle(ATN_V2_2, {
    title: 'The digital therapeutic alliance with conversational AI',
    abstract: 'Working alliance and artificial empathy; AI empathy at 6-month follow-up.',
    year: 2023
  })
  const alliance = a.justification.criteria.find((c) => c.id === 'therapeutic_alliance')!
  t.same(alliance.termsFound.map((x) => x.term), ['therapeutic alliance', 'working alliance', 'digital therapeutic alliance'])
  t.match(alliance, { points: 20, cappedPoints: 20 })
  t.match(a.justification.criteria.find((c) => c.id === 'conversational_ai_empathy'), { points: 22, cap: 15, cappedPoints: 15 })
  t.match(a.justification, { recencyBonus: 10, longitudinalBonus: 5, longitudinalTermsFound: ['follow-up'], total: 54 })
  t.equal(a.score, 49.1)
  t.equal(a.category, 'not very relevant')
  t.match(a.justification.criteria.find((c) => c.id === 'digital_health'), { points: 4, cappedPoints: 4 })
})

t.test('year bonuses: ≥ 2022 +10, else ≥ 2020 +7, else none', async (t) => {
  const score = (year: number | null) => scoreArticle(ATN_V2_2, { title: 'accessibility', year }).justification
  t.match(score(2022), { recencyBonus: 10, total: 14 })
  t.match(score(2021), { recencyBonus: 7, total: 11 })
  t.match(score(2020), { recencyBonus: 7 })
  t.match(score(2019), { recencyBonus: 0, total: 4 })
  t.match(score(null), { recencyBonus: 0 })
})

t.test('"user experience" counts in both criteria that list it, as the original did', async (t) => {
  const r = scoreArticle(ATN_V2_2, { title: 'User experience of an app', year: 2010 })
  t.match(r.justification.criteria.find((c) => c.id === 'patient_centred'), { points: 4 })
  t.match(r.justification.criteria.find((c) => c.id === 'technology_acceptance'), { points: 4 })
  t.equal(r.justification.total, 8)
  t.equal(r.score, 7.3) // 8 / 110 = 7.27 %
})

t.test('word boundaries, case and accents', async (t) => {
  const none = scoreArticle(ATN_V2_2, { title: 'A non-randomised trial (nRCT)', abstract: 'Cohort studying; diGAme; longitudinally; inaccessibility', year: 2000 })
  t.equal(none.justification.total, 0, '"rct", "diga", "cohort study", "longitudinal" and "accessibility" are not matched inside words')
  const rct = scoreArticle(ATN_V2_2, { title: 'An RCT', keywords: ['DiGA', 'Accessibilité'], year: 2000 })
  t.same(rct.justification.criteria.filter((c) => c.points).map((c) => c.termsFound.map((x) => x.term)), [['diga'], ['rct']])
  const accents = scoreArticle(ATN_V2_2, { title: 'Thérapeutic Alliance', abstract: 'LONG-TERM\noutcomes of the digital\ndivide', year: 2000 })
  t.equal(accents.justification.total, 6 + 5 + 5, 'accents folded, case ignored, line breaks inside a term match')
})

t.test('thresholds: exactly 75 is very relevant, exactly 60 relevant', async (t) => {
  // ATN v2.2: 66 / 110 = 60.0 exactly (integer weights cannot reach 75.0 with divisor 110). 66 is: alliance 20, digital health 17, clinical validation 10 (5+5+4 = 14 → cap 10), equity 4, year 2023 10, follow-up 5 = 66.
  const sixty = scoreArticle(ATN_V2_2, {
    title: 'Digital therapeutic alliance, therapeutic alliance and working alliance',
    abstract: 'Digital health, a prescribable app (DiGA) under clinical validation in a randomized controlled trial (RCT) with accessibility and follow-up.',
    year: 2023
  })
  t.equal(sixty.justification.total, 66)
  t.equal(sixty.score, 60)
  t.equal(sixty.category, 'relevant')
  // A custom set (divisor 100) reaches 75 and 74.9 exactly.
  const set: AtnCriteriaSet = { ...ATN_V2_2, criteria: [{ id: 'x', label: 'x', cap: 100, terms: [{ term: 'alpha', weight: 75 }, { term: 'beta', weight: 74.9 }, { term: 'gamma', weight: 59.9 }] }], divisor: 100 }
  t.equal(scoreArticle(set, { title: 'alpha' }).category, 'very relevant')
  t.equal(scoreArticle(set, { title: 'beta' }).category, 'relevant')
  t.equal(scoreArticle(set, { title: 'gamma' }).category, 'not very relevant')
  t.equal(scoreArticle(set, { title: 'alpha beta' }).score, 100, 'capped at 100')
})

t.test('criteria sets are checked', async (t) => {
  t.equal(validateCriteriaSet(ATN_V2_2), ATN_V2_2)
  t.throws(() => validateCriteriaSet({ ...ATN_V2_2, divisor: 0 }), Invalid)
  t.throws(() => validateCriteriaSet({ ...ATN_V2_2, categories: [{ label: 'a', min: 50 }, { label: 'b', min: 60 }] }), /highest threshold first/)
})
