/**
 * Inter-rater agreement for screening decisions: percent agreement, Cohen's
 * kappa (two raters) and Fleiss' kappa (more than two raters, possibly each
 * item rated by a different subset of them).
 *
 * Categories are plain strings, so the functions work for the screening
 * vocabulary (include/exclude/maybe) as well as for any other nominal scale.
 */

export type ScreeningDecision = 'include' | 'exclude' | 'maybe'
export const SCREENING_DECISIONS: readonly ScreeningDecision[] = ['include', 'exclude', 'maybe']

/**
 * Landis & Koch (1977) bands. "poor" is used below 0; the upper bounds are
 * inclusive (0.20 is "slight", 0.21 "fair"). `undefined` when kappa itself is
 * undefined (see KappaResult.kappa).
 */
export type KappaInterpretation = 'poor' | 'slight' | 'fair' | 'moderate' | 'substantial' | 'almost perfect' | 'undefined'

export function interpretKappa(kappa: number | null): KappaInterpretation {
  if (kappa === null || Number.isNaN(kappa)) return 'undefined'
  if (kappa < 0) return 'poor'
  if (kappa <= 0.2) return 'slight'
  if (kappa <= 0.4) return 'fair'
  if (kappa <= 0.6) return 'moderate'
  if (kappa <= 0.8) return 'substantial'
  return 'almost perfect'
}

export interface KappaResult {
  /** Items that entered the computation (see each function for which ones). */
  items: number
  /** Observed agreement Po, 0..1. */
  observedAgreement: number
  /** Observed agreement as a percentage, 0..100. */
  percentAgreement: number
  /** Agreement expected by chance Pe, 0..1. */
  expectedAgreement: number
  /**
   * (Po − Pe) / (1 − Pe). `null` when undefined: Pe = 1 happens only when every
   * rating of every item is the same single category (then Po = 1 too, and the
   * ratio is 0/0: perfect agreement that carries no information beyond chance).
   * Also `null` when no item could be used. Callers should show the percent
   * agreement in that case rather than invent a kappa.
   */
  kappa: number | null
  interpretation: KappaInterpretation
  /** Categories seen, in first-seen order. */
  categories: string[]
}

export interface CohenResult extends KappaResult {
  /** confusion[a][b]: number of items rater A put in category a and rater B in b. */
  confusion: Record<string, Record<string, number>>
}

type Rating = string | null | undefined

/**
 * Cohen's kappa for two raters over the same items (aligned arrays: index i
 * is the same item for both). Items either rater did not rate (null/undefined)
 * are skipped.
 *
 *   Po = (1/n) Σ_k n_kk          Pe = Σ_k (n_k· / n)(n_·k / n)
 *   κ  = (Po − Pe) / (1 − Pe)
 */
export function cohensKappa(raterA: readonly Rating[], raterB: readonly Rating[]): CohenResult {
  if (raterA.length !== raterB.length) {
    throw new RangeError(`cohensKappa: the two raters have ${raterA.length} and ${raterB.length} items`)
  }
  const categories: string[] = []
  const seen = new Set<string>()
  const note = (c: string) => {
    if (!seen.has(c)) { seen.add(c); categories.push(c) }
  }
  const pairs: Array<[string, string]> = []
  for (let i = 0; i < raterA.length; i++) {
    const a = raterA[i]
    const b = raterB[i]
    if (a === null || a === undefined || b === null || b === undefined) continue
    note(a); note(b)
    pairs.push([a, b])
  }
  const confusion: Record<string, Record<string, number>> = {}
  for (const a of categories) {
    confusion[a] = {}
    for (const b of categories) confusion[a][b] = 0
  }
  const rowTotals = new Map<string, number>()
  const colTotals = new Map<string, number>()
  let agreements = 0
  for (const [a, b] of pairs) {
    confusion[a][b]++
    rowTotals.set(a, (rowTotals.get(a) ?? 0) + 1)
    colTotals.set(b, (colTotals.get(b) ?? 0) + 1)
    if (a === b) agreements++
  }
  const n = pairs.length
  if (n === 0) {
    return { items: 0, observedAgreement: NaN, percentAgreement: NaN, expectedAgreement: NaN, kappa: null, interpretation: 'undefined', categories, confusion }
  }
  const po = agreements / n
  let pe = 0
  for (const c of categories) pe += ((rowTotals.get(c) ?? 0) / n) * ((colTotals.get(c) ?? 0) / n)
  const kappa = kappaFrom(po, pe)
  return {
    items: n,
    observedAgreement: po,
    percentAgreement: po * 100,
    expectedAgreement: pe,
    kappa,
    interpretation: interpretKappa(kappa),
    categories,
    confusion
  }
}

/** Percent agreement (0..100) between two raters, over items both rated. */
export function percentAgreement(raterA: readonly Rating[], raterB: readonly Rating[]): number {
  return cohensKappa(raterA, raterB).percentAgreement
}

function kappaFrom(po: number, pe: number): number | null {
  // Pe within rounding of 1 means a single category was used throughout.
  if (1 - pe < 1e-12) return null
  return (po - pe) / (1 - pe)
}

export interface FleissResult extends KappaResult {
  /** Items ignored because fewer than two ratings were given for them. */
  skippedItems: number
  /** Overall proportion of ratings in each category (π_k), same order as categories. */
  categoryProportions: number[]
  /** True when every used item had the same number of ratings (classic Fleiss 1971). */
  equalRaterCounts: boolean
}

/**
 * Fleiss' kappa from per-item ratings: `items[i]` lists the decisions that the
 * raters who rated item i gave it (any number of raters per item; null and
 * undefined entries are ignored).
 *
 * Items rated by varying subsets of raters. Fleiss (1971) assumes every item
 * has the same number m of ratings. We use the generalisation given by Gwet
 * (Handbook of Inter-Rater Reliability, 4th ed., 2014, §2.5 "Fleiss' generalized
 * kappa"), which averages per-item proportions instead of pooling counts, so
 * each item weighs the same whatever its number of ratings r_i:
 *
 *   P_i = Σ_k r_ik (r_ik − 1) / (r_i (r_i − 1))      agreement on item i
 *   Po  = mean of P_i over items
 *   π_k = mean over items of r_ik / r_i               share of category k
 *   Pe  = Σ_k π_k²
 *   κ   = (Po − Pe) / (1 − Pe)
 *
 * Items with fewer than two ratings carry no information on agreement and are
 * left out of every term (Gwet keeps them in π_k; we do not, so that the same
 * items define both Po and Pe — reported as `skippedItems`). When every item
 * has the same r_i = m, π_k = Σ_i r_ik / (N m) and the formulas are exactly
 * Fleiss 1971, so both cases share one code path.
 */
export function fleissKappa(items: ReadonlyArray<readonly Rating[]>): FleissResult {
  const categories: string[] = []
  const index = new Map<string, number>()
  const rows: number[][] = []
  let skipped = 0
  for (const ratings of items) {
    const counts: number[] = []
    let total = 0
    for (const r of ratings) {
      if (r === null || r === undefined) continue
      let k = index.get(r)
      if (k === undefined) { k = categories.length; index.set(r, k); categories.push(r) }
      counts[k] = (counts[k] ?? 0) + 1
      total++
    }
    if (total < 2) { skipped++; continue }
    rows.push(counts)
  }
  const matrix = rows.map((counts) => Array.from({ length: categories.length }, (_, k) => counts[k] ?? 0))
  const result = fleissKappaFromCounts(matrix)
  return { ...result, skippedItems: result.skippedItems + skipped, categories }
}

/**
 * Fleiss' kappa from a count matrix: counts[i][k] = number of raters who put
 * item i in category k (the layout of the Fleiss 1971 and Wikipedia examples).
 * Same generalisation as `fleissKappa` for unequal row totals. Category names
 * are "0", "1", … unless given.
 */
export function fleissKappaFromCounts(counts: ReadonlyArray<readonly number[]>, categoryNames?: string[]): FleissResult {
  const k = counts.reduce((max, row) => Math.max(max, row.length), 0)
  const categories = categoryNames ?? Array.from({ length: k }, (_, j) => String(j))
  const proportions = new Array<number>(k).fill(0)
  let sumP = 0
  let used = 0
  let skipped = 0
  let firstTotal = -1
  let equal = true
  for (const row of counts) {
    let r = 0
    for (let j = 0; j < k; j++) {
      const c = row[j] ?? 0
      if (c < 0 || !Number.isInteger(c)) throw new RangeError(`fleissKappa: counts must be non-negative integers (got ${c})`)
      r += c
    }
    if (r < 2) { skipped++; continue }
    if (firstTotal === -1) firstTotal = r
    else if (r !== firstTotal) equal = false
    let agree = 0
    for (let j = 0; j < k; j++) {
      const c = row[j] ?? 0
      agree += c * (c - 1)
      proportions[j] += c / r
    }
    sumP += agree / (r * (r - 1))
    used++
  }
  if (used === 0) {
    return {
      items: 0, skippedItems: skipped, observedAgreement: NaN, percentAgreement: NaN, expectedAgreement: NaN,
      kappa: null, interpretation: 'undefined', categories, categoryProportions: proportions, equalRaterCounts: true
    }
  }
  for (let j = 0; j < k; j++) proportions[j] /= used
  const po = sumP / used
  const pe = proportions.reduce((s, p) => s + p * p, 0)
  const kappa = kappaFrom(po, pe)
  return {
    items: used,
    skippedItems: skipped,
    observedAgreement: po,
    percentAgreement: po * 100,
    expectedAgreement: pe,
    kappa,
    interpretation: interpretKappa(kappa),
    categories,
    categoryProportions: proportions,
    equalRaterCounts: equal
  }
}

/**
 * Groups decisions stored as (item, rater, decision) rows — the shape they have
 * in a database — per item, keeping each rater's last decision for an item.
 */
export function groupDecisionsByItem<T extends string>(
  rows: ReadonlyArray<{ item: string | number, rater: string | number, decision: T }>
): Map<string | number, Map<string | number, T>> {
  const byItem = new Map<string | number, Map<string | number, T>>()
  for (const row of rows) {
    let raters = byItem.get(row.item)
    if (!raters) { raters = new Map(); byItem.set(row.item, raters) }
    raters.set(row.rater, row.decision)
  }
  return byItem
}

/** Fleiss' kappa over (item, rater, decision) rows (see fleissKappa for unequal rater counts). */
export function fleissKappaForDecisions(
  rows: ReadonlyArray<{ item: string | number, rater: string | number, decision: string }>
): FleissResult {
  const byItem = groupDecisionsByItem(rows)
  return fleissKappa([...byItem.values()].map((raters) => [...raters.values()]))
}

/** Cohen's kappa between two named raters over (item, rater, decision) rows; items not rated by both are skipped. */
export function cohensKappaForRaters(
  rows: ReadonlyArray<{ item: string | number, rater: string | number, decision: string }>,
  raterA: string | number,
  raterB: string | number
): CohenResult {
  const byItem = groupDecisionsByItem(rows)
  const a: Rating[] = []
  const b: Rating[] = []
  for (const raters of byItem.values()) {
    a.push(raters.get(raterA))
    b.push(raters.get(raterB))
  }
  return cohensKappa(a, b)
}
