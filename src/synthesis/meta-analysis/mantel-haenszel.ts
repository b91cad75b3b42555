/**
 * Fixed-effect pooling of 2×2 tables without inverse-variance weights:
 * Mantel–Haenszel (OR with the Robins–Breslow–Greenland variance, RR and RD
 * with Greenland–Robins') and Peto's one-step odds ratio, as metafor's
 * `rma.mh()` and `rma.peto()` compute them. The pooled estimate uses the raw
 * counts; the heterogeneity test uses the study effects with the continuity
 * correction, leaving out studies with no events (or only events) in both arms.
 */
import { Invalid } from '../../errors.ts'
import { criticalValue, pChisqUpper, pNormTwoSided } from './distributions.ts'
import { binaryEffect, correctedCells, type BinaryMeasure, type BinaryStudy } from './effect-sizes.ts'
import type { CoefficientTest, Heterogeneity } from './models.ts'

export interface TablePooling {
  method: 'MH' | 'PETO'
  k: number
  coefficient: CoefficientTest
  heterogeneity: Heterogeneity
  /** Studies counted in the heterogeneity test (double-zero studies have no study effect). */
  kEffects: number
  /** Each study's share of the pooled estimate in percent. */
  weights: number[]
}

const doubleZero = (s: BinaryStudy) => (s.events1 === 0 && s.events2 === 0) || (s.events1 === s.total1 && s.events2 === s.total2)

function test(estimate: number, se: number, level: number): CoefficientTest {
  const stat = estimate / se
  const crit = criticalValue(1 - level)
  return { estimate, se, stat, pval: pNormTwoSided(stat), ciLb: estimate - crit * se, ciUb: estimate + crit * se }
}

function fixedHeterogeneity(effects: Array<{ yi: number, vi: number }>, estimate: number): Heterogeneity {
  const df = effects.length - 1
  if (df < 1) return { Q: 0, df: 0, Qp: 1, I2: 0, H2: 1, typicalVariance: 0 }
  const Q = Math.max(0, effects.reduce((s, e) => s + (e.yi - estimate) ** 2 / e.vi, 0))
  return { Q, df, Qp: pChisqUpper(Q, df), I2: Math.max(0, 100 * (Q - df) / Q), H2: Q / df, typicalVariance: 0 }
}

export function mantelHaenszel(measure: BinaryMeasure, studies: BinaryStudy[], level = 0.95): TablePooling {
  const t = studies.map((s) => {
    const a = s.events1; const b = s.total1 - s.events1; const c = s.events2; const d = s.total2 - s.events2
    return { a, b, c, d, n1: s.total1, n2: s.total2, N: s.total1 + s.total2 }
  })
  let estimate: number; let se: number; let weights: number[]
  if (measure === 'OR') {
    const R = t.reduce((s, x) => s + x.a * x.d / x.N, 0)
    const S = t.reduce((s, x) => s + x.b * x.c / x.N, 0)
    if (R === 0 || S === 0) throw new Invalid('the Mantel–Haenszel odds ratio is undefined: no events (or no non-events) in one arm across all studies', 'studies')
    let pr = 0; let psqr = 0; let qs = 0
    for (const x of t) {
      const P = (x.a + x.d) / x.N; const Q = (x.b + x.c) / x.N; const r = x.a * x.d / x.N; const s = x.b * x.c / x.N
      pr += P * r; psqr += P * s + Q * r; qs += Q * s
    }
    estimate = Math.log(R / S)
    se = Math.sqrt(0.5 * (pr / R ** 2 + psqr / (R * S) + qs / S ** 2))
    weights = t.map((x) => 100 * (x.b * x.c / x.N) / S)
  } else if (measure === 'RR') {
    const R = t.reduce((s, x) => s + x.a * x.n2 / x.N, 0)
    const S = t.reduce((s, x) => s + x.c * x.n1 / x.N, 0)
    if (R === 0 || S === 0) throw new Invalid('the Mantel–Haenszel risk ratio is undefined: no events in one arm across all studies', 'studies')
    estimate = Math.log(R / S)
    se = Math.sqrt(t.reduce((s, x) => s + (x.n1 / x.N) * (x.n2 / x.N) * (x.a + x.c) - (x.a / x.N) * x.c, 0) / (R * S))
    weights = t.map((x) => 100 * (x.c * x.n1 / x.N) / S)
  } else {
    const W = t.reduce((s, x) => s + x.n1 * x.n2 / x.N, 0)
    estimate = t.reduce((s, x) => s + x.a * x.n2 / x.N - x.c * x.n1 / x.N, 0) / W
    const num = estimate * t.reduce((s, x) => s + x.c * (x.n1 / x.N) ** 2 - x.a * (x.n2 / x.N) ** 2 + (x.n1 / x.N) * (x.n2 / x.N) * (x.n2 - x.n1) / 2, 0) +
      t.reduce((s, x) => s + x.a * (x.n2 - x.c) / x.N + x.c * (x.n1 - x.a) / x.N, 0) / 2
    se = Math.sqrt(num / W ** 2)
    weights = t.map((x) => 100 * (x.n1 * x.n2 / x.N) / W)
  }
  const effects = studies.filter((s) => !doubleZero(s)).map((s) => binaryEffect(measure, s))
  return { method: 'MH', k: studies.length, coefficient: test(estimate, se, level), heterogeneity: fixedHeterogeneity(effects, estimate), kEffects: effects.length, weights }
}

export function peto(studies: BinaryStudy[], level = 0.95): TablePooling {
  let sumOE = 0; let sumV = 0
  const parts = studies.map((s) => {
    const N = s.total1 + s.total2; const events = s.events1 + s.events2; const nonEvents = N - events
    const E = events * s.total1 / N
    const V = events * nonEvents * (s.total1 / N) * (s.total2 / N) / (N - 1)
    sumOE += s.events1 - E; sumV += V
    return { oe: s.events1 - E, V }
  })
  if (sumV === 0) throw new Invalid("Peto's odds ratio is undefined: no study has both events and non-events", 'studies')
  const estimate = sumOE / sumV
  const df = parts.filter((p) => p.V > 0).length - 1
  // Q as rma.peto computes it, from the observed-minus-expected counts.
  const Q = Math.max(0, parts.reduce((s, p) => s + (p.V > 0 ? p.oe ** 2 / p.V : 0), 0) - sumOE ** 2 / sumV)
  const heterogeneity: Heterogeneity = df < 1
    ? { Q: 0, df: 0, Qp: 1, I2: 0, H2: 1, typicalVariance: 0 }
    : { Q, df, Qp: pChisqUpper(Q, df), I2: Math.max(0, 100 * (Q - df) / Q), H2: Q / df, typicalVariance: 0 }
  return { method: 'PETO', k: studies.length, coefficient: test(estimate, Math.sqrt(1 / sumV), level), heterogeneity, kEffects: df + 1, weights: parts.map((p) => 100 * p.V / sumV) }
}

/** Peto's study-level log odds ratio (O − E)/V with variance 1/V, as escalc(measure = "PETO") with its continuity correction. */
export function petoEffect(s: BinaryStudy): { id: string, yi: number, vi: number } {
  const { a, b, c, d } = correctedCells(s)
  const n1 = a + b; const n2 = c + d; const N = n1 + n2
  const events = a + c; const nonEvents = b + d
  const E = events * n1 / N
  const V = events * nonEvents * (n1 / N) * (n2 / N) / (N - 1)
  return { id: s.id, yi: (a - E) / V, vi: 1 / V }
}
