/**
 * Performance metrics of a screening order, as ASReview-insights computes
 * them, so figures are comparable with ASReview's published simulations.
 *
 * Input: `labels`, the relevance (1/0) of the records in the order they were
 * screened, prior-knowledge records left out (insights' default, priors=False).
 * N = labels.length, R = Σ labels, found(i) = Σ_{j ≤ i} labels_j (1-based i).
 */

/** Recall after each record: recall[i − 1] = found(i) / R. */
export function recallCurve(labels: ArrayLike<number>): Float64Array {
  const relevant = countRelevant(labels)
  const out = new Float64Array(labels.length)
  let found = 0
  for (let i = 0; i < labels.length; i++) {
    found += labels[i] ? 1 : 0
    out[i] = relevant === 0 ? NaN : found / relevant
  }
  return out
}

function countRelevant(labels: ArrayLike<number>): number {
  let r = 0
  for (let i = 0; i < labels.length; i++) r += labels[i] ? 1 : 0
  return r
}

/**
 * Relevant Records Found after screening a proportion p of the records:
 *   RRF@p = found(i*) / R,  i* = the largest i with i/N ≤ p  (0 when p < 1/N)
 * (insights' recall at an x intercept). RRF@10 is rrf(labels, 0.10).
 */
export function rrf(labels: ArrayLike<number>, proportion: number): number {
  const n = labels.length
  const relevant = countRelevant(labels)
  if (relevant === 0 || n === 0) return NaN
  let last = 0
  for (let i = 1; i <= n && i / n <= proportion; i++) last = i
  let found = 0
  for (let i = 0; i < last; i++) found += labels[i] ? 1 : 0
  return found / relevant
}

/**
 * Work Saved over Sampling at recall r, insights' definition: the number of
 * records a random order needs to reach the same recall, minus the number the
 * evaluated order needed, over N.
 *
 *   k      = the largest k in 1..R with k/R ≤ r (at least 1)
 *   t_k    = 0-based position of the k-th relevant record in the order
 *   t'_k   = first i in 0..N−1 with round(i·R/(N − 1)) ≥ k — the random
 *            baseline, numpy.round(linspace(0, R, N)), rounding half to even
 *   WSS@r  = (t'_k − t_k) / N
 *
 * Close to the classical Cohen (2006) form WSS@r = (TN + FN)/N − (1 − r), with
 * one difference to keep in mind for small R: k rounds r·R down (with R = 8,
 * WSS@95 looks at the 7th relevant record, i.e. recall 87.5%).
 */
export function wss(labels: ArrayLike<number>, recall: number): number {
  const n = labels.length
  const relevant = countRelevant(labels)
  if (relevant === 0 || n === 0) return NaN
  let k = 0
  for (let candidate = 1; candidate <= relevant && candidate / relevant <= recall; candidate++) k = candidate
  k = Math.max(1, k)
  let found = 0
  let position = -1
  for (let i = 0; i < n; i++) {
    found += labels[i] ? 1 : 0
    if (found >= k) { position = i; break }
  }
  let randomPosition = n - 1
  for (let i = 0; i < n; i++) {
    const expected = n === 1 ? 0 : roundHalfEven((i * relevant) / (n - 1))
    if (expected >= k) { randomPosition = i; break }
  }
  return (randomPosition - position) / n
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x)
  const diff = x - floor
  if (diff > 0.5) return floor + 1
  if (diff < 0.5) return floor
  return floor % 2 === 0 ? floor : floor + 1
}

/** Time to discovery of each relevant record: its 1-based position in the order (insights' td). */
export function timeToDiscovery(labels: ArrayLike<number>): number[] {
  const out: number[] = []
  for (let i = 0; i < labels.length; i++) if (labels[i]) out.push(i + 1)
  return out
}

/**
 * Average Time to Discovery.
 *   ATD (records) = (1/R) Σ_relevant position   — insights' "atd"
 *   ATD (fraction) = ATD (records) / N          — as a share of the records to screen,
 *                                                the form Ferdinands et al. (2023) report
 * Returns both; lower is better (a perfect order gives (R + 1) / 2 records).
 */
export function averageTimeToDiscovery(labels: ArrayLike<number>): { records: number, fraction: number } {
  const td = timeToDiscovery(labels)
  if (td.length === 0) return { records: NaN, fraction: NaN }
  const records = td.reduce((s, v) => s + v, 0) / td.length
  return { records, fraction: records / labels.length }
}

export interface ScreeningMetrics {
  /** Work saved over sampling at 95% recall, fraction (0.831 = 83.1%). */
  wss95: number
  /** Work saved over sampling at 100% recall, fraction. */
  wss100: number
  /** Share of relevant records found after screening 10% of the records, fraction. */
  rrf10: number
  /** Average time to discovery as a share of the records, fraction. */
  atd: number
  /** Average time to discovery in records. */
  atdRecords: number
}

export function screeningMetrics(labels: ArrayLike<number>): ScreeningMetrics {
  const atd = averageTimeToDiscovery(labels)
  return {
    wss95: wss(labels, 0.95),
    wss100: wss(labels, 1),
    rrf10: rrf(labels, 0.1),
    atd: atd.fraction,
    atdRecords: atd.records
  }
}
