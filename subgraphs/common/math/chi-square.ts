import { regularizedGammaQ } from './incomplete-gamma';

/**
 * Upper tail of the χ² distribution, P(X ≥ x) for X ~ χ²(df) = Q(df/2, x/2): the p-value of a
 * Pearson goodness-of-fit statistic. Computed directly as the upper tail, so p-values far below
 * 1e−10 keep their digits.
 */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`chiSquareSf: df must be finite and > 0 (df=${df})`);
  if (Number.isNaN(x)) throw new RangeError(`chiSquareSf: x must be a number (x=${x})`);
  if (x <= 0) return 1;
  return regularizedGammaQ(df / 2, x / 2);
}
