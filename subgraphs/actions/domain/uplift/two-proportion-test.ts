import { erfc } from '../../../common/math/normal';
import { assertBinomial } from './confidence';
import type { BinomialCount } from './newcombe';

/**
 * Two-sided p-value of the pooled two-proportion z-test of H₀: p₁ = p₂:
 *
 *   z = (p̂₁ − p̂₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)),  p̄ = (x₁ + x₂)/(n₁ + n₂),  p = 2(1 − Φ(|z|)),
 *
 * the same as Pearson's χ² test of the 2×2 table without continuity correction. The variance is
 * pooled because it is computed under H₀. Returns 1 when both arms are all-0 or all-1 (no
 * evidence).
 * This is a fixed-horizon test: read it once, at the planned end (see msprt.ts for peeking).
 */
export function twoProportionPValue(first: BinomialCount, second: BinomialCount): number {
  assertBinomial('twoProportionPValue', first.successes, first.trials);
  assertBinomial('twoProportionPValue', second.successes, second.trials);
  const pooled = (first.successes + second.successes) / (first.trials + second.trials);
  const variance = pooled * (1 - pooled) * (1 / first.trials + 1 / second.trials);
  if (variance === 0) return 1;
  const difference = first.successes / first.trials - second.successes / second.trials;
  const z = difference / Math.sqrt(variance);
  // 2(1 − Φ(|z|)) = erfc(|z|/√2), without the cancellation for large |z|
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}
