import { regularizedBeta } from './incomplete-beta';
import { normalSf } from './normal';

/**
 * Student t distribution with `df` degrees of freedom (any real df > 0, as Welch's test needs).
 * P(T > t) = I_{df/(df+t²)}(df/2, 1/2) / 2 for t ≥ 0; the small tail is computed directly, so a
 * p-value of 1e-12 stays accurate instead of rounding to 0.
 */
export function studentTSf(t: number, df: number): number {
  assertDf('studentTSf', df);
  if (Number.isNaN(t)) throw new RangeError('studentTSf: t must be a number (t=NaN)');
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  // the limit of t as df grows
  if (df === Infinity) return normalSf(t);
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}

/** P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  return 1 - studentTSf(t, df);
}

/**
 * The t with P(T ≤ t) = p, by bisection on the CDF (monotone, so it cannot fail to converge):
 * the upper bracket doubles until it holds p, then 200 halvings or a bracket a few ulps wide.
 * Symmetric: quantile(1 − p) = −quantile(p).
 */
export function studentTQuantile(p: number, df: number): number {
  assertDf('studentTQuantile', df);
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1) (p=${p})`);
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  // upper tail wanted: search on the survival function, which is accurate where 1 − p is tiny
  const q = 1 - p;
  let low = 0;
  let high = 1;
  while (studentTSf(high, df) > q) {
    low = high;
    high *= 2;
    if (!Number.isFinite(high)) return Infinity;
  }
  for (let i = 0; i < 200 && high - low > 1e-15 * high; i++) {
    const mid = (low + high) / 2;
    if (studentTSf(mid, df) > q) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function assertDf(fn: string, df: number): void {
  if (!(df > 0) || Number.isNaN(df)) throw new RangeError(`${fn}: df must be > 0 (df=${df})`);
}
