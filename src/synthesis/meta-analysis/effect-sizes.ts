/**
 * Study-level effect sizes and their sampling variances, computed as
 * metafor's `escalc()` does with its defaults (add = 1/2 to every cell of a
 * 2×2 table that has a zero cell, double-zero studies kept; large-sample
 * variances; Hedges' g with the exact small-sample correction).
 */
import { Invalid } from '../../errors.ts'
import { criticalValue, gammaln } from './distributions.ts'

export type BinaryMeasure = 'OR' | 'RR' | 'RD'
export type ContinuousMeasure = 'MD' | 'SMD'
export type EffectMeasure = BinaryMeasure | ContinuousMeasure | 'GEN'

/** A 2×2 table: events and totals in the experimental (1) and control (2) arms. */
export interface BinaryStudy { id: string, events1: number, total1: number, events2: number, total2: number }
/** Means, standard deviations and sizes of both arms. */
export interface ContinuousStudy { id: string, mean1: number, sd1: number, n1: number, mean2: number, sd2: number, n2: number }
/**
 * A precomputed effect on its analysis scale (log scale for ratios) with its
 * standard error, or with a confidence interval from which the standard
 * error is derived (the interval's level, 95% unless said).
 */
export interface GenericStudy { id: string, yi?: number, se?: number, lower?: number, upper?: number, level?: number }

export interface EffectSize {
  id: string
  /** The effect on the analysis scale (log OR, log RR, RD, MD, g, or as given). */
  yi: number
  /** Its sampling variance. */
  vi: number
}

/** The continuity correction metafor adds to all four cells of a table with a zero cell. */
export const CONTINUITY_CORRECTION = 0.5

function checkCount(value: number, field: string): void {
  if (!Number.isFinite(value) || value < 0 || !Number.isInteger(value)) throw new Invalid(`${field} must be a non-negative whole number (got ${value})`, field)
}

function checkTable(s: BinaryStudy, index: number): void {
  const at = `studies[${index}]`
  checkCount(s.events1, `${at}.events1`); checkCount(s.total1, `${at}.total1`)
  checkCount(s.events2, `${at}.events2`); checkCount(s.total2, `${at}.total2`)
  if (s.events1 > s.total1) throw new Invalid(`${at}: events1 (${s.events1}) exceeds total1 (${s.total1})`, `${at}.events1`)
  if (s.events2 > s.total2) throw new Invalid(`${at}: events2 (${s.events2}) exceeds total2 (${s.total2})`, `${at}.events2`)
  if (s.total1 === 0 || s.total2 === 0) throw new Invalid(`${at}: each arm needs at least one participant`, `${at}.total1`)
}

/** The four cells, with the continuity correction applied when one of them is zero. */
export function correctedCells(s: BinaryStudy): { a: number, b: number, c: number, d: number } {
  let a = s.events1; let b = s.total1 - s.events1; let c = s.events2; let d = s.total2 - s.events2
  if (a === 0 || b === 0 || c === 0 || d === 0) { a += CONTINUITY_CORRECTION; b += CONTINUITY_CORRECTION; c += CONTINUITY_CORRECTION; d += CONTINUITY_CORRECTION }
  return { a, b, c, d }
}

export function binaryEffect(measure: BinaryMeasure, s: BinaryStudy, index = 0): EffectSize {
  checkTable(s, index)
  const { a, b, c, d } = correctedCells(s)
  const n1 = a + b; const n2 = c + d
  const p1 = a / n1; const p2 = c / n2
  switch (measure) {
    case 'OR': return { id: s.id, yi: Math.log(p1 / (1 - p1)) - Math.log(p2 / (1 - p2)), vi: 1 / a + 1 / b + 1 / c + 1 / d }
    case 'RR': return { id: s.id, yi: Math.log(p1) - Math.log(p2), vi: 1 / a - 1 / n1 + 1 / c - 1 / n2 }
    case 'RD': return { id: s.id, yi: p1 - p2, vi: p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2 }
  }
}

/** The exact small-sample correction factor of Hedges' g for `m` degrees of freedom. */
function hedgesCorrection(m: number): number {
  return Math.exp(gammaln(m / 2) - Math.log(Math.sqrt(m / 2)) - gammaln((m - 1) / 2))
}

export function continuousEffect(measure: ContinuousMeasure, s: ContinuousStudy, index = 0): EffectSize {
  const at = `studies[${index}]`
  for (const [field, value] of Object.entries({ mean1: s.mean1, mean2: s.mean2 })) {
    if (!Number.isFinite(value)) throw new Invalid(`${at}.${field} must be a number`, `${at}.${field}`)
  }
  for (const [field, value] of Object.entries({ sd1: s.sd1, sd2: s.sd2 })) {
    if (!Number.isFinite(value) || value < 0) throw new Invalid(`${at}.${field} must be a non-negative number`, `${at}.${field}`)
  }
  for (const [field, value] of Object.entries({ n1: s.n1, n2: s.n2 })) {
    if (!Number.isInteger(value) || value < 1) throw new Invalid(`${at}.${field} must be a positive whole number`, `${at}.${field}`)
  }
  if (measure === 'MD') return { id: s.id, yi: s.mean1 - s.mean2, vi: s.sd1 ** 2 / s.n1 + s.sd2 ** 2 / s.n2 }
  const m = s.n1 + s.n2 - 2
  if (m <= 1) throw new Invalid(`${at}: a standardised mean difference needs at least 4 participants in all`, `${at}.n1`)
  const sdPooled = Math.sqrt(((s.n1 - 1) * s.sd1 ** 2 + (s.n2 - 1) * s.sd2 ** 2) / m)
  if (sdPooled === 0) throw new Invalid(`${at}: both standard deviations are zero`, `${at}.sd1`)
  const g = hedgesCorrection(m) * (s.mean1 - s.mean2) / sdPooled
  return { id: s.id, yi: g, vi: 1 / s.n1 + 1 / s.n2 + g ** 2 / (2 * (s.n1 + s.n2)) }
}

export function genericEffect(s: GenericStudy, index = 0): EffectSize {
  const at = `studies[${index}]`
  if (s.se !== undefined) {
    if (!Number.isFinite(s.se) || s.se <= 0) throw new Invalid(`${at}.se must be a positive number`, `${at}.se`)
    if (s.yi === undefined || !Number.isFinite(s.yi)) throw new Invalid(`${at}.yi must be a number when se is given`, `${at}.yi`)
    return { id: s.id, yi: s.yi, vi: s.se ** 2 }
  }
  if (s.lower === undefined || s.upper === undefined) throw new Invalid(`${at} needs yi with se, or lower and upper confidence limits`, `${at}.se`)
  if (!(s.upper > s.lower)) throw new Invalid(`${at}: upper (${s.upper}) must be greater than lower (${s.lower})`, `${at}.upper`)
  const level = s.level ?? 0.95
  if (!(level > 0 && level < 1)) throw new Invalid(`${at}.level must be between 0 and 1`, `${at}.level`)
  const se = (s.upper - s.lower) / (2 * criticalValue(1 - level))
  return { id: s.id, yi: s.yi ?? (s.lower + s.upper) / 2, vi: se ** 2 }
}
