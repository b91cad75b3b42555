/**
 * Small-study effects: Egger's regression test and Duval & Tweedie's
 * trim-and-fill, as metafor's `regtest()` and `trimfill()` do them.
 */
import { Invalid } from '../../errors.ts'
import { estimateTau2, fitModel, interceptOnly, weightedFit, weightsFor, type Tau2Method, type TestKind } from './models.ts'
import { pTTwoSided } from './distributions.ts'

export interface EggerTest {
  /** 'lm': the classical weighted regression of the effects on their standard errors (t with k − 2 df); 'rma': the meta-regression with the standard error as moderator, fitted like the model. */
  model: 'lm' | 'rma'
  stat: number
  pval: number
  df?: number
  /** The intercept: the effect expected in a study of infinite size ("limit estimate"). */
  limit: number
}

export function eggerTest(yi: number[], vi: number[], model: 'lm' | 'rma', options: { method: Tau2Method, test?: TestKind } = { method: 'FE' }): EggerTest {
  const k = yi.length
  if (k < 3) throw new Invalid("Egger's test needs at least 3 studies", 'studies')
  const X = vi.map((v) => [1, Math.sqrt(v)])
  if (model === 'lm') {
    const fit = weightedFit(yi, X, vi.map((v) => 1 / v))
    const df = k - 2
    const s2 = fit.rss / df
    const se = Math.sqrt(s2 * fit.vb[1][1])
    const stat = fit.beta[1] / se
    return { model, stat, pval: pTTwoSided(stat, df), df, limit: fit.beta[0] }
  }
  const fit = fitModel(yi, vi, X, { method: options.method, test: options.test })
  const slope = fit.coefficients[1]
  return { model, stat: slope.stat, pval: slope.pval, ...(slope.df === undefined ? {} : { df: slope.df }), limit: fit.coefficients[0].estimate }
}

export interface TrimAndFill {
  /** Number of studies estimated missing (estimator L0), and the side they were missing from. */
  k0: number
  side: 'left' | 'right'
  /** The filled-in effects (mirror images of the k0 most extreme studies). */
  filled: Array<{ yi: number, vi: number }>
}

/** Rounding as R does it (IEC 60559: halves to the even neighbour), so k0 agrees with metafor at x.5. */
function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Ranks 1..n of |x| with ties broken by position, as R's rank(ties.method = "first"). */
function ranksFirst(x: number[]): number[] {
  const order = x.map((v, i) => i).sort((a, b) => Math.abs(x[a]) - Math.abs(x[b]) || a - b)
  const ranks = new Array<number>(x.length)
  order.forEach((idx, r) => { ranks[idx] = r + 1 })
  return ranks
}

export function trimAndFill(yi: number[], vi: number[], method: Tau2Method, maxIterations = 100): TrimAndFill {
  const k = yi.length
  if (k < 3) throw new Invalid('trim-and-fill needs at least 3 studies', 'studies')
  const sideFit = fitModel(yi, vi, vi.map((v) => [1, Math.sqrt(v)]), { method })
  const side = sideFit.coefficients[1].estimate < 0 ? 'right' : 'left'
  const sign = side === 'right' ? -1 : 1
  const order = yi.map((_, i) => i).sort((a, b) => sign * yi[a] - sign * yi[b] || a - b)
  const y = order.map((i) => sign * yi[i])
  const v = order.map((i) => vi[i])
  let k0 = 0; let previous = -1; let beta = 0
  let iteration = 0
  for (; k0 !== previous; iteration++) {
    if (iteration >= maxIterations) throw new Invalid('trim-and-fill did not converge', 'studies')
    previous = k0
    const kept = k - k0
    const yKept = y.slice(0, kept); const vKept = v.slice(0, kept); const X = interceptOnly(kept)
    beta = weightedFit(yKept, X, weightsFor(vKept, estimateTau2(method, yKept, vKept, X).tau2)).beta[0]
    const centred = y.map((x) => x - beta)
    const ranks = ranksFirst(centred)
    const sr = centred.reduce((s, c, i) => s + (c > 0 ? ranks[i] : 0), 0)
    k0 = Math.max(0, roundHalfEven((4 * sr - k * (k + 1)) / (2 * k - 1)))
  }
  const filled = y.slice(k - k0).map((x, j) => ({ yi: sign * (2 * beta - x), vi: v[k - k0 + j] }))
  return { k0, side, filled }
}
