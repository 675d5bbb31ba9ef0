import { normalQuantile } from '../../../common/math/normal';

/** A two-sided interval [lower, upper]. */
export interface Interval {
  lower: number;
  upper: number;
}

/** Confidence level every interval and test here uses unless told otherwise: 95 %. */
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * The two-sided normal critical value z = Φ⁻¹(1 − (1 − confidence)/2), e.g. 1.959964 at 0.95.
 * Throws a RangeError unless 0 < confidence < 1.
 */
export function criticalZ(confidence: number = DEFAULT_CONFIDENCE): number {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`criticalZ: confidence must be in (0, 1) (confidence=${confidence})`);
  }
  return normalQuantile(1 - (1 - confidence) / 2);
}

/** Checks a binomial count: whole numbers with 0 ≤ successes ≤ trials and trials ≥ 1. */
export function assertBinomial(fn: string, successes: number, trials: number): void {
  if (!Number.isInteger(trials) || trials < 1) {
    throw new RangeError(`${fn}: trials must be a whole number >= 1 (trials=${trials})`);
  }
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(
      `${fn}: successes must be a whole number in [0, trials] (successes=${successes}, trials=${trials})`,
    );
  }
}
