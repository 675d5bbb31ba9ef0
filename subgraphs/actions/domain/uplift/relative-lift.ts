import { assertBinomial, criticalZ, DEFAULT_CONFIDENCE, type Interval } from './confidence';
import type { BinomialCount } from './newcombe';

/** A ratio of two rates with its interval. */
export interface RateRatio {
  /** p̂₁ / p̂₂ */
  ratio: number;
  interval: Interval;
}

/**
 * The rate ratio p̂₁/p̂₂ with a delta-method interval on the log scale (Katz et al. 1978,
 * Biometrics 34:469–474):
 *
 *   ln(p̂₁/p̂₂) ± z √(1/x₁ − 1/n₁ + 1/x₂ − 1/n₂),
 *
 * exponentiated. The log makes the sampling distribution nearly symmetric and keeps the interval
 * positive, which the plain delta method on the ratio does not. Relative lift is ratio − 1 (or
 * 1 − ratio when the outcome is one to reduce), with the interval mapped the same way. Returns
 * null when either arm has no outcomes: the log ratio is then unbounded.
 */
export function rateRatioInterval(
  first: BinomialCount,
  second: BinomialCount,
  confidence: number = DEFAULT_CONFIDENCE,
): RateRatio | null {
  assertBinomial('rateRatioInterval', first.successes, first.trials);
  assertBinomial('rateRatioInterval', second.successes, second.trials);
  if (first.successes === 0 || second.successes === 0) return null;
  const z = criticalZ(confidence);
  const logRatio =
    Math.log(first.successes / first.trials) - Math.log(second.successes / second.trials);
  const se = Math.sqrt(
    1 / first.successes - 1 / first.trials + 1 / second.successes - 1 / second.trials,
  );
  return {
    ratio: Math.exp(logRatio),
    interval: { lower: Math.exp(logRatio - z * se), upper: Math.exp(logRatio + z * se) },
  };
}
