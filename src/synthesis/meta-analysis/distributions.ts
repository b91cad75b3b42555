/**
 * The distribution functions the meta-analysis needs, from stdlib (ports of
 * Boost/Cephes, accurate to a few ulps). Upper tails are computed directly,
 * never as 1 − cdf, so that tiny p-values (1e-28 for a Q of 160) keep their
 * digits.
 */
import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import tCdf from '@stdlib/stats-base-dists-t-cdf'
import tQuantile from '@stdlib/stats-base-dists-t-quantile'
import chisqQuantile from '@stdlib/stats-base-dists-chisquare-quantile'
import gammainc from '@stdlib/math-base-special-gammainc'
import gammaln from '@stdlib/math-base-special-gammaln'

export { gammaln }

/** Two-sided p-value of a standard normal statistic. */
export function pNormTwoSided(z: number): number {
  return 2 * normalCdf(-Math.abs(z), 0, 1)
}

/** Two-sided p-value of a t statistic with `df` degrees of freedom. */
export function pTTwoSided(t: number, df: number): number {
  return 2 * tCdf(-Math.abs(t), df)
}

/** P(X > x) for X ~ χ²(df). */
export function pChisqUpper(x: number, df: number): number {
  if (x <= 0) return 1
  return gammainc(x / 2, df / 2, true, true)
}

/** The quantile of χ²(df) at probability p (lower tail). */
export function qChisq(p: number, df: number): number {
  return chisqQuantile(p, df)
}

/** The two-sided critical value for a (1 − alpha) interval: normal, or t with `df` when given. */
export function criticalValue(alpha: number, df?: number): number {
  return df === undefined ? normalQuantile(1 - alpha / 2, 0, 1) : tQuantile(1 - alpha / 2, df)
}
