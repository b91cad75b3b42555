import t from 'tap'
import { sigmoid } from '../../src/screening/models.ts'
import { createRng } from '../../src/screening/random.ts'
import {
  estimateRemainingByCalibratedScores, estimateRemainingByRecentRate, fitPlatt, kneeStoppingSignal, recordsSinceLastInclude
} from '../../src/screening/stopping.ts'

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
