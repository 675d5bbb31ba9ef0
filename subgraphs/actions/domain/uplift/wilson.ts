import { assertBinomial, criticalZ, DEFAULT_CONFIDENCE, type Interval } from './confidence';

/**
 * Wilson score interval for a binomial proportion (Wilson 1927, JASA 22(158); Newcombe 1998,
 * Stat Med 17:857–872, method 3): the p whose score test |p̂ − p| / √(p(1 − p)/n) ≤ z accepts,
 *
 *   (p̂ + z²/2n ± z √(p̂(1 − p̂)/n + z²/4n²)) / (1 + z²/n).
 *
 * Unlike the Wald interval p̂ ± z√(p̂(1 − p̂)/n) it stays inside [0, 1], is not degenerate at 0
 * or n successes, and its coverage stays close to nominal for the small rates churn outcomes have.
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  confidence: number = DEFAULT_CONFIDENCE,
): Interval {
  assertBinomial('wilsonInterval', successes, trials);
  const z = criticalZ(confidence);
  const p = successes / trials;
  const z2n = (z * z) / trials;
  const centre = p + z2n / 2;
  const half = z * Math.sqrt((p * (1 - p)) / trials + z2n / (4 * trials));
  const scale = 1 + z2n;
  // at 0 or n successes the bound equals p̂ exactly; pin it so rounding cannot leave [0, 1]
  return {
    lower: successes === 0 ? 0 : Math.max(0, (centre - half) / scale),
    upper: successes === trials ? 1 : Math.min(1, (centre + half) / scale),
  };
}
