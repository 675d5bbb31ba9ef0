import { studentTQuantile, studentTSf } from '../../../common/math/student-t';
import type { Interval } from './confidence';

/** A sample given by its size and its first two raw moments: what one SQL aggregate returns. */
export interface SampleMoments {
  n: number;
  /** Σ xᵢ */
  sum: number;
  /** Σ xᵢ² */
  sumSquares: number;
}

export interface WelchResult extends Interval {
  /** mean(a) − mean(b) */
  difference: number;
  meanA: number;
  meanB: number;
  /** √(s²_a/n_a + s²_b/n_b) */
  standardError: number;
  /** Welch–Satterthwaite degrees of freedom */
  degreesOfFreedom: number;
  t: number;
  /** two-sided P(|T| ≥ |t|) under equal means */
  pValue: number;
}

/**
 * Welch's unequal-variances t test and interval for mean(a) − mean(b) (Welch 1947, Biometrika
 * 34(1/2)): standard error √(s²_a/n_a + s²_b/n_b), degrees of freedom from the
 * Welch–Satterthwaite formula (s²_a/n_a + s²_b/n_b)² / ((s²_a/n_a)²/(n_a−1) + (s²_b/n_b)²/(n_b−1)),
 * and the Student t quantile at that (fractional) df. Matches scipy.stats.ttest_ind(a, b,
 * equal_var=False). Revenue per customer is skewed and the arms' spreads differ, which is why
 * the pooled-variance test is not used.
 *
 * Throws a RangeError when an arm has fewer than 2 values or moments no sample can have, and when
 * both arms have zero variance (the interval and the test are then undefined).
 */
export function welchTest(a: SampleMoments, b: SampleMoments, confidence: number): WelchResult {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`welchTest: confidence must be in (0, 1) (confidence=${confidence})`);
  const ma = momentsOf('a', a);
  const mb = momentsOf('b', b);
  const va = ma.variance / a.n;
  const vb = mb.variance / b.n;
  const se2 = va + vb;
  if (!(se2 > 0)) throw new RangeError('welchTest: both samples have zero variance');
  const standardError = Math.sqrt(se2);
  const degreesOfFreedom = (se2 * se2) / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
  const difference = ma.mean - mb.mean;
  const t = difference / standardError;
  const q = studentTQuantile(1 - (1 - confidence) / 2, degreesOfFreedom);
  return {
    difference,
    meanA: ma.mean,
    meanB: mb.mean,
    standardError,
    degreesOfFreedom,
    t,
    pValue: Math.min(1, 2 * studentTSf(Math.abs(t), degreesOfFreedom)),
    lower: difference - q * standardError,
    upper: difference + q * standardError,
  };
}

/** Mean and unbiased variance (n − 1) from raw moments; rounding can make Σx² − (Σx)²/n slightly negative, so it is clamped at 0. */
function momentsOf(name: string, s: SampleMoments): { mean: number; variance: number } {
  const { n, sum, sumSquares } = s;
  if (!Number.isInteger(n) || n < 2 || !Number.isFinite(sum) || !(sumSquares >= 0) || !Number.isFinite(sumSquares)) {
    throw new RangeError(`welchTest: ${name} needs n >= 2 and finite moments with sumSquares >= 0 (n=${n}, sum=${sum}, sumSquares=${sumSquares})`);
  }
  const mean = sum / n;
  return { mean, variance: Math.max(0, (sumSquares - sum * mean) / (n - 1)) };
}
