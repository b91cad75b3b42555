/**
 * A meta-analysis from study data to every figure a report needs: study
 * effects, the pooled estimate, heterogeneity with intervals, the prediction
 * interval, subgroups with the test for subgroup differences, leave-one-out,
 * Egger's test and trim-and-fill. Plain data in, plain data out; checked
 * against metafor (test/fixtures/meta-analysis/metafor.json).
 */
import { Invalid } from '../../errors.ts'
import { eggerTest, trimAndFill, type EggerTest } from './bias.ts'
import { criticalValue, pChisqUpper } from './distributions.ts'
import {
  binaryEffect, continuousEffect, genericEffect,
  type BinaryStudy, type ContinuousStudy, type EffectMeasure, type EffectSize, type GenericStudy
} from './effect-sizes.ts'
import { mantelHaenszel, peto, petoEffect, type TablePooling } from './mantel-haenszel.ts'
import { fitModel, interceptOnly, predictionInterval, qProfileInterval, type CoefficientTest, type Tau2Method, type TestKind } from './models.ts'

export type PoolingMethod = Tau2Method | 'MH' | 'PETO'
export type StudyInput = (BinaryStudy | ContinuousStudy | GenericStudy) & { label?: string, group?: string }

export interface MetaAnalysisInput {
  kind: 'binary' | 'continuous' | 'generic'
  measure: EffectMeasure
  studies: StudyInput[]
  method: PoolingMethod
  /** 'knha': Hartung–Knapp–Sidik–Jonkman (t-distribution, scaled variance) for random-effects models. */
  test?: TestKind
  /** Confidence level, 0.95 unless said. */
  level?: number
  /** Leave-one-out refits (k fits of k − 1 studies): on by default up to LEAVE_ONE_OUT_DEFAULT_MAX studies, since it costs O(k²). */
  leaveOneOut?: boolean
  /** For generic input of a ratio measure given on its natural scale: take logs of yi and of the limits. */
  ratioScale?: boolean
}

export interface Pooled extends CoefficientTest { k: number, tau2: number }

export interface MetaAnalysisResult {
  measure: EffectMeasure
  method: PoolingMethod
  test: TestKind
  level: number
  /** Whether estimates are on the log scale (OR, RR, and generic ratios): `exp` gives the ratio. */
  logScale: boolean
  studies: Array<{ id: string, label?: string, group?: string, yi: number, vi: number, se: number, ciLb: number, ciUb: number, weight: number }>
  pooled: Pooled
  tau2: number
  seTau2?: number
  tau2Ci?: [number, number]
  I2: number
  I2Ci?: [number, number]
  H2: number
  H2Ci?: [number, number]
  Q: number
  Qdf: number
  Qp: number
  predictionInterval?: [number, number]
  subgroups?: { groups: Array<{ group: string } & Pooled & { Q: number, I2: number }>, Qbetween: number, df: number, p: number }
  leaveOneOut: Array<{ omitted: string } & Pooled & { I2: number, Q: number }>
  smallStudyEffects?: {
    egger: EggerTest
    eggerMetaRegression: EggerTest
    trimAndFill: { k0: number, side: 'left' | 'right', filled: Array<{ yi: number, vi: number }>, adjusted: Pooled }
  }
}

const MAX_STUDIES = 10_000
export const LEAVE_ONE_OUT_DEFAULT_MAX = 200

function studyEffects(input: MetaAnalysisInput): EffectSize[] {
  return input.studies.map((s, i) => {
    if (input.kind === 'binary') {
      if (input.measure !== 'OR' && input.measure !== 'RR' && input.measure !== 'RD') throw new Invalid(`measure ${input.measure} does not apply to 2×2 tables (use OR, RR or RD)`, 'measure')
      return input.method === 'PETO' ? petoEffect(s as BinaryStudy) : binaryEffect(input.measure, s as BinaryStudy, i)
    }
    if (input.kind === 'continuous') {
      if (input.measure !== 'MD' && input.measure !== 'SMD') throw new Invalid(`measure ${input.measure} does not apply to means (use MD or SMD)`, 'measure')
      return continuousEffect(input.measure, s as ContinuousStudy, i)
    }
    const g = s as GenericStudy
    if (input.ratioScale) {
      for (const field of ['yi', 'lower', 'upper'] as const) {
        const v = g[field]
        if (v !== undefined && !(v > 0)) throw new Invalid(`studies[${i}].${field} must be positive on the ratio scale`, `studies[${i}].${field}`)
      }
      return genericEffect({ ...g, yi: g.yi === undefined ? undefined : Math.log(g.yi), lower: g.lower === undefined ? undefined : Math.log(g.lower), upper: g.upper === undefined ? undefined : Math.log(g.upper) }, i)
    }
    return genericEffect(g, i)
  })
}

function validate(input: MetaAnalysisInput): void {
  if (input.studies.length === 0) throw new Invalid('at least one study is needed', 'studies')
  if (input.studies.length > MAX_STUDIES) throw new Invalid(`at most ${MAX_STUDIES} studies`, 'studies')
  if ((input.method === 'MH' || input.method === 'PETO') && input.kind !== 'binary') throw new Invalid(`${input.method} pools 2×2 tables only`, 'method')
  if (input.method === 'PETO' && input.measure !== 'OR') throw new Invalid("Peto's method estimates odds ratios only (measure OR)", 'measure')
  if (input.test === 'knha' && (input.method === 'MH' || input.method === 'PETO')) throw new Invalid('the Knapp–Hartung adjustment applies to inverse-variance models', 'test')
  const level = input.level ?? 0.95
  if (!(level >= 0.5 && level < 1)) throw new Invalid('level must be at least 0.5 and below 1', 'level')
  const ids = new Set<string>()
  for (const [i, s] of input.studies.entries()) {
    if (ids.has(s.id)) throw new Invalid(`studies[${i}].id "${s.id}" is repeated`, `studies[${i}].id`)
    ids.add(s.id)
  }
}

/** Pools a set of studies with the requested method (one fit: no subgroups, no sensitivity analyses). */
function pool(input: MetaAnalysisInput, studies: StudyInput[], effects: EffectSize[]): { pooled: Pooled, Q: number, I2: number, fit?: ReturnType<typeof fitModel>, table?: TablePooling } {
  const level = input.level ?? 0.95
  if (input.method === 'MH' || input.method === 'PETO') {
    const table = input.method === 'MH'
      ? mantelHaenszel(input.measure as 'OR' | 'RR' | 'RD', studies as BinaryStudy[], level)
      : peto(studies as BinaryStudy[], level)
    return { pooled: { ...table.coefficient, k: studies.length, tau2: 0 }, Q: table.heterogeneity.Q, I2: table.heterogeneity.I2, table }
  }
  const yi = effects.map((e) => e.yi); const vi = effects.map((e) => e.vi)
  const test = effects.length > 1 ? input.test : 'z'
  const fit = fitModel(yi, vi, interceptOnly(yi.length), { method: input.method, test, level })
  return { pooled: { ...fit.coefficients[0], k: yi.length, tau2: fit.tau2 }, Q: fit.heterogeneity.Q, I2: fit.heterogeneity.I2, fit }
}

export function metaAnalysis(input: MetaAnalysisInput): MetaAnalysisResult {
  validate(input)
  const level = input.level ?? 0.95
  const test: TestKind = input.test ?? 'z'
  const effects = studyEffects(input)
  const yi = effects.map((e) => e.yi); const vi = effects.map((e) => e.vi)
  const main = pool(input, input.studies, effects)
  const crit = criticalValue(1 - level)
  const weights = main.fit?.weights ?? main.table!.weights
  const het = main.fit?.heterogeneity ?? main.table!.heterogeneity
  const result: MetaAnalysisResult = {
    measure: input.measure, method: input.method, test, level,
    logScale: input.measure === 'OR' || input.measure === 'RR' || (input.measure === 'GEN' && Boolean(input.ratioScale)),
    studies: effects.map((e, i) => ({
      id: e.id, ...(input.studies[i].label ? { label: input.studies[i].label } : {}), ...(input.studies[i].group ? { group: input.studies[i].group } : {}),
      yi: e.yi, vi: e.vi, se: Math.sqrt(e.vi), ciLb: e.yi - crit * Math.sqrt(e.vi), ciUb: e.yi + crit * Math.sqrt(e.vi), weight: weights[i]
    })),
    pooled: main.pooled,
    tau2: main.pooled.tau2,
    I2: het.I2, H2: het.H2, Q: het.Q, Qdf: het.df, Qp: het.Qp,
    leaveOneOut: []
  }
  if (main.fit) {
    if (main.fit.seTau2 !== undefined) result.seTau2 = main.fit.seTau2
    const interval = qProfileInterval(yi, vi, interceptOnly(yi.length), main.fit)
    if (interval) { result.tau2Ci = interval.tau2; result.I2Ci = interval.I2; result.H2Ci = interval.H2 }
    if (input.method !== 'FE') result.predictionInterval = predictionInterval(main.fit)
  }
  if (input.studies.length > 2 && (input.leaveOneOut ?? input.studies.length <= LEAVE_ONE_OUT_DEFAULT_MAX)) {
    result.leaveOneOut = input.studies.map((s, i) => {
      const keep = (_: unknown, j: number) => j !== i
      const r = pool(input, input.studies.filter(keep), effects.filter(keep))
      return { omitted: s.id, ...r.pooled, I2: r.I2, Q: r.Q }
    })
  }
  const groups = [...new Set(input.studies.map((s) => s.group).filter((g): g is string => Boolean(g)))]
  if (groups.length > 1) {
    if (input.studies.some((s) => !s.group)) throw new Invalid('when studies are in subgroups, every study needs a group', 'studies')
    const fitted = groups.map((group) => {
      const keep = (_: unknown, j: number) => input.studies[j].group === group
      const r = pool(input, input.studies.filter(keep), effects.filter(keep))
      return { group, ...r.pooled, Q: r.Q, I2: r.I2 }
    })
    // Test for subgroup differences: Q between the subgroup estimates with their standard errors (a fixed-effect model over subgroups).
    const between = fitModel(fitted.map((g) => g.estimate), fitted.map((g) => g.se ** 2), interceptOnly(fitted.length), { method: 'FE' })
    result.subgroups = { groups: fitted, Qbetween: between.heterogeneity.Q, df: fitted.length - 1, p: pChisqUpper(between.heterogeneity.Q, fitted.length - 1) }
  }
  if (input.studies.length >= 3) {
    const biasMethod: Tau2Method = input.method === 'MH' || input.method === 'PETO' ? 'FE' : input.method
    const tf = trimAndFill(yi, vi, biasMethod)
    const filledY = [...yi, ...tf.filled.map((f) => f.yi)]; const filledV = [...vi, ...tf.filled.map((f) => f.vi)]
    const adjusted = fitModel(filledY, filledV, interceptOnly(filledY.length), { method: biasMethod, level })
    result.smallStudyEffects = {
      egger: eggerTest(yi, vi, 'lm'),
      eggerMetaRegression: eggerTest(yi, vi, 'rma', { method: biasMethod, test: input.method === 'MH' || input.method === 'PETO' ? 'z' : test }),
      trimAndFill: { ...tf, adjusted: { ...adjusted.coefficients[0], k: filledY.length, tau2: adjusted.tau2 } }
    }
  }
  return result
}

export { type BinaryStudy, type ContinuousStudy, type GenericStudy, type EffectMeasure } from './effect-sizes.ts'
