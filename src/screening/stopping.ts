/**
 * Signals that help a reviewer decide when to stop screening in relevance
 * order. None is a guarantee: each names its method and its assumptions so
 * that the interface can show them next to the number.
 */
import { labelDecision, type LabelValue } from './active-learning.ts'
import { sigmoid } from './models.ts'

function isInclude(label: LabelValue): boolean {
  return labelDecision(label) === 'include'
}

/**
 * Records screened since the last include, counting from the end of the
 * screening sequence; the whole length when nothing was included. A long run
 * of excludes is the heuristic stopping rule most teams use ("stop after 100
 * consecutive irrelevant records").
 */
export function recordsSinceLastInclude(decisionsInOrder: readonly LabelValue[]): number {
  for (let i = decisionsInOrder.length - 1; i >= 0; i--) {
    if (isInclude(decisionsInOrder[i])) return decisionsInOrder.length - 1 - i
  }
  return decisionsInOrder.length
}

export interface RemainingEstimate {
  /** Machine name of the method. */
  method: 'recent-rate' | 'platt-calibrated-probability-sum'
  /** Point estimate of relevant records among the unscreened ones. */
  estimate: number
  /** Upper end of an approximate 95% interval, when the method gives one. */
  upper?: number
  /** The assumptions behind the number, in words, for display. */
  assumptions: string
}

/**
 * "recent-rate": the share of includes among the last `window` screened
 * records, applied to all unscreened records; `upper` uses the Wilson 95%
 * upper bound of that share instead (so a window without includes still gives
 * a non-zero upper bound).
 *
 * Assumption: screening follows the model's relevance order, so the density of
 * relevant records further down the list is at most what it was in the recent
 * window. The estimate is therefore pessimistic (too high) when the ranking is
 * good, and wrong when the order was not relevance-driven (random screening,
 * or a model that has not learnt the topic yet).
 */
export function estimateRemainingByRecentRate(
  decisionsInOrder: readonly LabelValue[],
  unscreened: number,
  window = 100
): RemainingEstimate {
  const recent = decisionsInOrder.slice(Math.max(0, decisionsInOrder.length - window))
  const n = recent.length
  const hits = recent.filter(isInclude).length
  const rate = n === 0 ? 0 : hits / n
  return {
    method: 'recent-rate',
    estimate: rate * unscreened,
    upper: n === 0 ? unscreened : wilsonUpper(hits, n) * unscreened,
    assumptions: `share of includes in the last ${n} screened records, applied to the ${unscreened} unscreened ones; ` +
      'assumes records were screened in decreasing predicted relevance, so it tends to overestimate'
  }
}

function wilsonUpper(successes: number, n: number, z = 1.96): number {
  const p = successes / n
  const denominator = 1 + (z * z) / n
  const centre = p + (z * z) / (2 * n)
  const margin = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))
  return Math.min(1, (centre + margin) / denominator)
}

/** A screened record as it was ranked: the model's decision value when it was proposed, and the decision made. */
export interface ScoredDecision {
  decisionValue: number
  label: LabelValue
}

/**
 * "platt-calibrated-probability-sum": fits P(include | d) = σ(A·d + B) (Platt
 * scaling, with Platt's smoothed targets) on the screened records' decision
 * values *as they were when each record was proposed* — before its label was
 * known, so the fit is out-of-sample — and sums the calibrated probabilities
 * of the unscreened records' current decision values.
 *
 * Assumptions: the relation between score and relevance seen at the top of
 * the ranking (where screened records come from) extends to the tail; and the
 * model's scale did not drift much while it learnt (use only the recent
 * history, e.g. the last few hundred decisions, to limit drift). Needs at
 * least one include and one exclude in the history; otherwise returns NaN.
 */
export function estimateRemainingByCalibratedScores(
  history: readonly ScoredDecision[],
  unscreenedDecisionValues: ArrayLike<number>
): RemainingEstimate {
  const usable = history.filter((h) => Number.isFinite(h.decisionValue))
  const positives = usable.filter((h) => isInclude(h.label)).length
  const negatives = usable.length - positives
  const assumptions = `Platt scaling fitted on ${usable.length} screened records' scores at the time they were proposed; ` +
    'assumes that score-to-relevance relation holds for the unscreened records'
  if (positives === 0 || negatives === 0) {
    return { method: 'platt-calibrated-probability-sum', estimate: NaN, assumptions }
  }
  const { a, b } = fitPlatt(usable.map((h) => h.decisionValue), usable.map((h) => isInclude(h.label)), positives, negatives)
  let sum = 0
  let variance = 0
  for (let i = 0; i < unscreenedDecisionValues.length; i++) {
    const p = sigmoid(a * unscreenedDecisionValues[i] + b)
    sum += p
    variance += p * (1 - p)
  }
  // Poisson-binomial spread of the count given the probabilities (ignores uncertainty in A and B).
  return { method: 'platt-calibrated-probability-sum', estimate: sum, upper: sum + 1.96 * Math.sqrt(variance), assumptions }
}

/** Platt (1999) / Lin, Lin & Weng (2007): Newton's method with backtracking on the smoothed log-loss. */
export function fitPlatt(scores: readonly number[], positive: readonly boolean[], nPositive: number, nNegative: number): { a: number, b: number } {
  const hiTarget = (nPositive + 1) / (nPositive + 2)
  const loTarget = 1 / (nNegative + 2)
  const targets = positive.map((p) => (p ? hiTarget : loTarget))
  let a = 0
  let b = Math.log((nNegative + 1) / (nPositive + 1)) * -1
  const loss = (A: number, B: number) => {
    let f = 0
    for (let i = 0; i < scores.length; i++) {
      const z = A * scores[i] + B
      // −[t log σ(z) + (1 − t) log(1 − σ(z))], stably.
      f += z >= 0 ? (1 - targets[i]) * z + Math.log1p(Math.exp(-z)) : -targets[i] * z + Math.log1p(Math.exp(z))
    }
    return f
  }
  let f = loss(a, b)
  for (let iteration = 0; iteration < 100; iteration++) {
    let gA = 0, gB = 0, hAA = 1e-12, hAB = 0, hBB = 1e-12
    for (let i = 0; i < scores.length; i++) {
      const p = sigmoid(a * scores[i] + b)
      const d = p - targets[i]
      const w = p * (1 - p)
      gA += d * scores[i]
      gB += d
      hAA += w * scores[i] * scores[i]
      hAB += w * scores[i]
      hBB += w
    }
    if (Math.abs(gA) < 1e-6 && Math.abs(gB) < 1e-6) break
    const det = hAA * hBB - hAB * hAB
    const dA = -(hBB * gA - hAB * gB) / det
    const dB = -(-hAB * gA + hAA * gB) / det
    let step = 1
    let improved = false
    while (step > 1e-10) {
      const fNew = loss(a + step * dA, b + step * dB)
      if (fNew < f + 1e-4 * step * (gA * dA + gB * dB)) {
        a += step * dA; b += step * dB; f = fNew; improved = true
        break
      }
      step /= 2
    }
    if (!improved) break
  }
  return { a, b }
}

export interface KneeSignal {
  method: 'knee'
  /** True when the knee rule says screening can stop. */
  stop: boolean
  /** Records screened at the detected knee (0 when none). */
  kneeAt: number
  /** Slope ratio: inclusion rate before the knee over the (smoothed) rate after it. */
  slopeRatio: number
  /** The ratio the rule asks for given the number of includes found. */
  requiredRatio: number
  assumptions: string
}

/**
 * The knee method of Cormack & Grossman (2016, "Engineering quality and
 * reliability in technology-assisted review", SIGIR): on the gain curve
 * (includes found vs records screened), take as the knee the point farthest
 * from the straight line joining the origin to the current point; compute
 * ρ = (found_knee / knee) / ((found_now − found_knee + 1) / (screened − knee));
 * stop when at least `minScreened` (150) records were screened and
 * ρ ≥ 156 − min(found_now, 150) — i.e. ρ ≥ 6 once 150 includes are found, a
 * much steeper drop when few were.
 *
 * Assumption: screening follows relevance order, so the gain curve flattens
 * once most relevant records are found.
 */
export function kneeStoppingSignal(decisionsInOrder: readonly LabelValue[], minScreened = 150): KneeSignal {
  const s = decisionsInOrder.length
  const found: number[] = [0]
  for (const d of decisionsInOrder) found.push(found[found.length - 1] + (isInclude(d) ? 1 : 0))
  const total = found[s]
  const requiredRatio = 156 - Math.min(total, 150)
  const assumptions = 'gain curve of includes found vs records screened flattens after most relevant records are found; rule of Cormack & Grossman (2016)'
  if (s === 0 || total === 0) return { method: 'knee', stop: false, kneeAt: 0, slopeRatio: 0, requiredRatio, assumptions }
  // Distance to the line from (0, 0) to (s, total) is proportional to total·x − s·y in absolute value.
  let knee = 0
  let bestDistance = -Infinity
  for (let x = 1; x < s; x++) {
    const distance = found[x] * s - total * x
    if (distance > bestDistance) { bestDistance = distance; knee = x }
  }
  if (knee === 0) return { method: 'knee', stop: false, kneeAt: 0, slopeRatio: 0, requiredRatio, assumptions }
  const slopeBefore = found[knee] / knee
  const slopeAfter = (total - found[knee] + 1) / (s - knee)
  const slopeRatio = slopeBefore / slopeAfter
  return { method: 'knee', stop: s >= minScreened && slopeRatio >= requiredRatio, kneeAt: knee, slopeRatio, requiredRatio, assumptions }
}

// ln(i!) for i = 0..length−1, grown on demand.
let logFactorials = new Float64Array([0, 0])

function logFactorial(n: number): number {
  if (n >= logFactorials.length) {
    const next = new Float64Array(Math.max(n + 1, logFactorials.length * 2))
    next.set(logFactorials)
    for (let i = logFactorials.length; i < next.length; i++) next[i] = next[i - 1] + Math.log(i)
    logFactorials = next
  }
  return logFactorials[n]
}

function logChoose(n: number, k: number): number {
  return logFactorial(n) - logFactorial(k) - logFactorial(n - k)
}

/**
 * P(X ≤ k) for X ~ Hypergeometric(population, successes, draws): the chance
 * of drawing at most k successes in `draws` draws without replacement from
 * `population` items of which `successes` are successes. A population that
 * cannot hold that many successes (successes > population) has probability 0.
 */
export function hypergeometricCdf(k: number, population: number, successes: number, draws: number): number {
  if (successes > population || draws > population) return 0
  const low = Math.max(0, draws - (population - successes))
  const high = Math.min(draws, successes, k)
  if (high < low) return 0
  if (k >= Math.min(draws, successes)) return 1
  const denominator = logChoose(population, draws)
  let sum = 0
  for (let x = low; x <= high; x++) sum += Math.exp(logChoose(successes, x) + logChoose(population - successes, draws - x) - denominator)
  return Math.min(1, sum)
}

export interface HypergeometricSignal {
  method: 'hypergeometric'
  /** True when the null hypothesis "recall is below the target" is rejected at 1 − confidence. */
  stop: boolean
  /** Smallest p-value over the tails tested (NaN before any include). */
  pValue: number
  recallTarget: number
  confidence: number
  /** Size of the tail (last records screened) that gave the smallest p-value. */
  sample: number
  assumptions: string
}

/**
 * The stopping criterion of Callaghan & Müller-Hansen (2020, "Statistical
 * stopping criteria for automated screening in systematic reviews", Syst Rev
 * 9:273), in the form of their buscar package: for every tail of the last n
 * screened records (n = 1..screened), treat it as a sample drawn without
 * replacement from itself plus the unscreened records (population
 * N − screened + n); under H0 "recall < target" that population holds at least
 *   K = ⌊r_seen / target − (r_seen − k) + 1⌋
 * relevant records (r_seen found in all, k of them in the tail); the p-value of
 * seeing at most k relevant records in the tail is the hypergeometric
 * P(X ≤ k). Stop when the smallest p-value is below 1 − confidence.
 *
 * The guarantee (P(stopping with recall < target) ≤ 1 − confidence) holds
 * exactly when the tail is a random sample of the records left, i.e. when the
 * last records were drawn at random from the unscreened ones. When they were
 * screened in the model's relevance order, the tail is at least as rich in
 * relevant records as a random sample would be (assuming the model ranks
 * better than chance), which makes the test conservative.
 */
export function hypergeometricStoppingSignal(
  decisionsInOrder: readonly LabelValue[],
  totalRecords: number,
  options: { recallTarget?: number, confidence?: number } = {}
): HypergeometricSignal {
  const recallTarget = options.recallTarget ?? 0.95
  const confidence = options.confidence ?? 0.95
  if (!(recallTarget > 0 && recallTarget < 1)) throw new RangeError(`recallTarget must be between 0 and 1 (got ${recallTarget})`)
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be between 0 and 1 (got ${confidence})`)
  const screened = decisionsInOrder.length
  if (totalRecords < screened) throw new RangeError(`totalRecords (${totalRecords}) is less than the ${screened} records screened`)
  const hits = decisionsInOrder.map(isInclude)
  const relevantSeen = hits.filter(Boolean).length
  const assumptions = `tests H0 "recall < ${recallTarget * 100}%" on the last screened records as a sample of those plus the unscreened ones ` +
    '(Callaghan & Müller-Hansen 2020); exact when those records were drawn at random from the unscreened ones, ' +
    'conservative when they were screened in relevance order'
  let pValue = relevantSeen === 0 ? NaN : 1
  let sample = 0
  let k = 0
  if (relevantSeen > 0) {
    for (let n = 1; n <= screened; n++) {
      if (hits[screened - n]) k++
      const successes = Math.floor(relevantSeen / recallTarget - (relevantSeen - k) + 1)
      const p = hypergeometricCdf(k, totalRecords - screened + n, successes, n)
      if (p < pValue) { pValue = p; sample = n }
    }
  }
  return { method: 'hypergeometric', stop: pValue < 1 - confidence, pValue, recallTarget, confidence, sample, assumptions }
}
