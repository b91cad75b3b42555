import t from 'tap'
import { sigmoid } from '../../src/screening/models.ts'
import { createRng } from '../../src/screening/random.ts'
import {
  estimateRemainingByCalibratedScores, estimateRemainingByRecentRate, fitPlatt, hypergeometricCdf, hypergeometricStoppingSignal,
  kneeStoppingSignal, recordsSinceLastInclude
} from '../../src/screening/stopping.ts'
import { evaluateStoppingRules, firstStop, runLabels, stoppingEvidence, STOPPING_RULES } from '../../src/screening/stopping-evaluation.ts'

t.test('records screened since the last include', async (t) => {
  t.equal(recordsSinceLastInclude(['include', 'exclude', 'exclude', 'include', 'exclude', 'maybe', 'exclude']), 3)
  t.equal(recordsSinceLastInclude([1, 0, 1]), 0)
  t.equal(recordsSinceLastInclude([0, 0, 0, 0]), 4, 'no include yet: everything screened')
  t.equal(recordsSinceLastInclude([]), 0)
})

t.test('recent-rate estimate: share of includes in the window times the unscreened records', async (t) => {
  // Last 100 decisions hold 2 includes → 2% of 900 unscreened = 18.
  const decisions = [...new Array(50).fill(1), ...new Array(98).fill(0), 1, 1]
  const estimate = estimateRemainingByRecentRate(decisions, 900)
  t.equal(estimate.method, 'recent-rate')
  t.ok(Math.abs(estimate.estimate - 18) < 1e-9)
  t.ok(estimate.upper! > 18 && estimate.upper! < 900 * 0.08)
  t.match(estimate.assumptions, /last 100 screened/)
  // No include in the window: the estimate is 0 but the upper bound is not.
  const none = estimateRemainingByRecentRate(new Array(200).fill(0), 1000, 100)
  t.equal(none.estimate, 0)
  t.ok(none.upper! > 10 && none.upper! < 60, `Wilson upper bound ${none.upper}`)
})

t.test('Platt-calibrated sum recovers the expected number of relevant records', async (t) => {
  // Simulated history: decision values d ~ U(−6, 4), relevance drawn with P = σ(1.5·d − 0.5).
  const rng = createRng(11)
  const history = Array.from({ length: 3000 }, () => {
    const d = rng.next() * 10 - 6
    return { decisionValue: d, label: rng.next() < sigmoid(1.5 * d - 0.5) ? 1 as const : 0 as const }
  })
  const positives = history.filter((h) => h.label === 1).length
  const { a, b } = fitPlatt(history.map((h) => h.decisionValue), history.map((h) => h.label === 1), positives, history.length - positives)
  t.ok(Math.abs(a - 1.5) < 0.2 && Math.abs(b + 0.5) < 0.2, `fitted a=${a.toFixed(3)} b=${b.toFixed(3)}`)
  const unscreened = Array.from({ length: 2000 }, () => rng.next() * 4 - 6) // the tail: low scores
  const truth = unscreened.reduce((s, d) => s + sigmoid(1.5 * d - 0.5), 0)
  const estimate = estimateRemainingByCalibratedScores(history, unscreened)
  t.equal(estimate.method, 'platt-calibrated-probability-sum')
  t.ok(Math.abs(estimate.estimate - truth) / truth < 0.25, `estimate ${estimate.estimate.toFixed(2)} vs ${truth.toFixed(2)}`)
  t.ok(estimate.upper! > estimate.estimate)
  t.ok(Number.isNaN(estimateRemainingByCalibratedScores([{ decisionValue: 1, label: 'include' }], [0]).estimate), 'needs both classes')
})

t.test('knee method (Cormack & Grossman 2016)', async (t) => {
  // 20 includes in the first 100 records, none in the next 400: ρ = (20/100)/((0 + 1)/400) = 80,
  // below the 156 − 20 = 136 required when few includes were found → keep screening.
  const few = [...Array.from({ length: 100 }, (_, i) => (i % 5 === 0 ? 1 : 0)), ...new Array(400).fill(0)]
  const signal = kneeStoppingSignal(few)
  t.equal(signal.kneeAt, 96, 'the knee is at the last include')
  t.equal(signal.requiredRatio, 136)
  t.notOk(signal.stop)
  // 150 includes in the first 300, none in the next 1000: ρ = 0.5/(1/1000) ≈ 500 ≥ 6 → stop.
  const many = [...Array.from({ length: 300 }, (_, i) => (i % 2 === 0 ? 1 : 0)), ...new Array(1000).fill(0)]
  const stop = kneeStoppingSignal(many)
  t.equal(stop.requiredRatio, 6)
  t.ok(stop.slopeRatio > 6)
  t.ok(stop.stop)
  // Too few records screened: never stop before 150.
  t.notOk(kneeStoppingSignal([1, 1, 1, 0, 0, 0, 0, 0]).stop)
  t.notOk(kneeStoppingSignal([]).stop)
})

t.test('hypergeometric CDF on hand-computed cases', async (t) => {
  // Urn of 10 with 3 successes, 4 draws: P(X = 0) = C(7,4)/C(10,4) = 35/210 = 1/6.
  t.ok(Math.abs(hypergeometricCdf(0, 10, 3, 4) - 1 / 6) < 1e-12)
  // P(X ≤ 1) = (35 + 3·C(7,3))/210 = (35 + 105)/210 = 2/3.
  t.ok(Math.abs(hypergeometricCdf(1, 10, 3, 4) - 2 / 3) < 1e-12)
  t.equal(hypergeometricCdf(3, 10, 3, 4), 1)
  // 9 draws from 10 with 3 successes: at least 2 successes are certain, so P(X ≤ 1) = 0.
  t.equal(hypergeometricCdf(1, 10, 3, 9), 0)
  t.equal(hypergeometricCdf(0, 5, 6, 1), 0, 'more successes than the population holds: impossible')
})

t.test('hypergeometric stopping rule (Callaghan & Müller-Hansen): hand-computed p-values', async (t) => {
  // 4 relevant found in the first 4 of 24 screened, then 20 excludes; 100 records in all, target 95%.
  const decisions = [1, 1, 1, 1, ...new Array(20).fill(0)]
  // Tail of n excludes (k = 0): K = ⌊4/0.95 − 4 + 1⌋ = ⌊1.2105⌋ = 1 relevant in a population of 76 + n;
  // p = P(X ≤ 0) = (76 + n − n)/(76 + n) = 76/(76 + n): smallest at n = 20 → 76/96.
  const signal = hypergeometricStoppingSignal(decisions, 100)
  t.ok(Math.abs(signal.pValue - 76 / 96) < 1e-9, `p ${signal.pValue}`)
  t.equal(signal.sample, 20)
  t.equal(signal.stop, false)
  // Same, but only 2 records left unscreened: the 20-exclude tail gives p = 2/22 = 0.0909; still above 0.05…
  t.ok(Math.abs(hypergeometricStoppingSignal(decisions, 26).pValue - 2 / 22) < 1e-9)
  // …and with none left the null hypothesis is impossible (p = 0): stop.
  const done = hypergeometricStoppingSignal(decisions, 24)
  t.equal(done.pValue, 0)
  t.equal(done.stop, true)
  // 1000 records; 10 relevant first, then 490 excludes (500 unscreened). Tails of n excludes: at target 95%,
  // K = ⌊10/0.95 − 10 + 1⌋ = 1 and p = 500/(500 + n), smallest at n = 490: 500/990. At 90%, K = ⌊11.11 − 9⌋ = 2
  // and p = P(X = 0) = 500·499 / ((500 + n)(499 + n)) → 500·499/(990·989).
  const long = [...new Array(10).fill(1), ...new Array(490).fill(0)]
  t.ok(Math.abs(hypergeometricStoppingSignal(long, 1000).pValue - 500 / 990) < 1e-9)
  const p90 = hypergeometricStoppingSignal(long, 1000, { recallTarget: 0.9 }).pValue
  t.ok(Math.abs(p90 - (500 * 499) / (990 * 989)) < 1e-9, `p ${p90}`)
  t.ok(Number.isNaN(hypergeometricStoppingSignal([0, 0, 0], 10).pValue), 'no include yet: no test')
  t.throws(() => hypergeometricStoppingSignal([1], 0), RangeError)
})

t.test('stopping rules evaluated on runs: recall and share screened at the first stop', async (t) => {
  // 300 records, 1 + 1 priors, 4 more relevant at positions 1, 2, 3 and 250 after the priors.
  const run = { records: 300, priorIncluded: 1, priorExcluded: 1, relevantPositions: [1, 2, 3, 250] }
  const labels = runLabels(run)
  t.same(labels.slice(0, 6), [1, 0, 1, 1, 1, 0])
  t.equal(labels[251], 1)
  t.equal(labels.reduce<number>((s, v) => s + v, 0), 5)
  const fifty = STOPPING_RULES.find((r) => r.name === 'since-last-include ≥ 50')!
  // Last include of the early run at record 5; 50 excludes later: 55 records screened, 4 of 5 relevant found.
  t.same(firstStop(fifty, labels, 2), { screened: 55, recall: 0.8 })
  const [outcome] = evaluateStoppingRules([run, { ...run, relevantPositions: [1, 2, 3, 4] }], [fifty])
  t.equal(outcome.meanRecall, 0.9)
  t.equal(outcome.shareReaching95, 0.5)
  t.ok(Math.abs(outcome.meanScreened - (55 + 56) / 600) < 1e-12)
  const evidence = stoppingEvidence([{ ...outcome, rule: 'hypergeometric recall 95% @ 95%' }], [run])
  t.equal(evidence.supported, false, 'a rule reaching 95% recall in half of the runs does not support the claim')
})
