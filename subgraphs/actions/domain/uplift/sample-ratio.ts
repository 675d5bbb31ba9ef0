import { chiSquareSf } from '../../../common/math/chi-square';

/** p-value below which an experiment is flagged for sample-ratio mismatch (Kohavi et al.). */
export const SRM_THRESHOLD = 0.001;

/** One arm's observed enrolment and the share the assignment was configured to give it. */
export interface ArmCount {
  arm: string;
  observed: number;
  /** configured share in [0, 1]; the shares of all arms sum to 1 */
  expectedFraction: number;
}

export interface SampleRatioCheck {
  /** Pearson χ² = Σ (O − E)² / E over arms with a positive expected share */
  chiSquare: number;
  /** arms with a positive expected share − 1 */
  degreesOfFreedom: number;
  /** P(χ²_df ≥ chiSquare); 1 when there is nothing to compare */
  pValue: number;
  /** pValue < threshold: the split is not what was configured, so results are not trustworthy */
  mismatch: boolean;
  total: number;
}

/**
 * Sample-ratio-mismatch check: Pearson's χ² goodness of fit of the observed arm counts to the
 * configured fractions (Fabijan et al. 2019, "Diagnosing sample ratio mismatch in online controlled
 * experiments", KDD). A mismatch means something other than the hash decided who landed where
 * (enrolments lost in one arm, a bot filter, a redirect), and the outcome comparison is biased, so
 * it is shown next to the results. The threshold is strict (0.001) because the check runs on every
 * experiment at every look and a false alarm stops trust in a good experiment.
 *
 * An arm with an expected share of 0 but observed enrolments is a mismatch by itself (χ² = ∞).
 * Throws a RangeError for negative or fractional counts, shares outside [0, 1], or shares whose sum
 * is not 1 (±1e−9).
 */
export function checkSampleRatio(
  arms: readonly ArmCount[],
  threshold: number = SRM_THRESHOLD,
): SampleRatioCheck {
  if (!(threshold > 0 && threshold < 1)) {
    throw new RangeError(`checkSampleRatio: threshold must be in (0, 1) (threshold=${threshold})`);
  }
  let shareSum = 0;
  let total = 0;
  for (const { arm, observed, expectedFraction } of arms) {
    if (!Number.isInteger(observed) || observed < 0) {
      throw new RangeError(
        `checkSampleRatio: observed must be a whole number >= 0 (arm=${arm}, observed=${observed})`,
      );
    }
    if (!(expectedFraction >= 0 && expectedFraction <= 1)) {
      throw new RangeError(
        `checkSampleRatio: expectedFraction must be in [0, 1] (arm=${arm}, expectedFraction=${expectedFraction})`,
      );
    }
    shareSum += expectedFraction;
    total += observed;
  }
  if (Math.abs(shareSum - 1) > 1e-9) {
    throw new RangeError(`checkSampleRatio: expected fractions must sum to 1 (sum=${shareSum})`);
  }
  const compared = arms.filter((a) => a.expectedFraction > 0);
  const degreesOfFreedom = Math.max(0, compared.length - 1);
  // an enrolment in an arm configured to get none cannot happen by chance
  const impossible = arms.some((a) => a.expectedFraction === 0 && a.observed > 0);
  let chiSquare = 0;
  if (impossible) chiSquare = Infinity;
  else if (total > 0) {
    for (const { observed, expectedFraction } of compared) {
      const expected = total * expectedFraction;
      chiSquare += (observed - expected) ** 2 / expected;
    }
  }
  let pValue = 1;
  if (impossible) pValue = 0;
  else if (total > 0 && degreesOfFreedom > 0) pValue = chiSquareSf(chiSquare, degreesOfFreedom);
  return { chiSquare, degreesOfFreedom, pValue, mismatch: pValue < threshold, total };
}
