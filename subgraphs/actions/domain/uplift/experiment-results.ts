import { CONTROL_ARM } from './assignment';
import { DEFAULT_CONFIDENCE } from './confidence';
import { newcombeInterval } from './newcombe';
import type { Estimate } from './playbook-impact';
import { rateRatioInterval } from './relative-lift';
import { checkSampleRatio, type SampleRatioCheck } from './sample-ratio';
import { twoProportionPValue } from './two-proportion-test';
import { wilsonInterval } from './wilson';

/** One arm of an experiment: customers assigned, how many converted in their window, and its expected share. */
export interface ExperimentArmCount {
  arm: string;
  assigned: number;
  converted: number;
  /** the share of assignments this arm should have had (see `expectedArmFractions`); all arms sum to 1 */
  expectedFraction: number;
}

/** Options of {@link experimentResults}. */
export interface ExperimentResultsOptions {
  /** Two-sided confidence level of every interval. Default 0.95. */
  confidence?: number;
  /** Customers an arm needs before its rate and comparisons are shown. Default 30. */
  minSamplePerArm?: number;
  /** Conversions, and non-conversions, a comparison's two arms need together. Default 5. */
  minConversions?: number;
}

export const EXPERIMENT_RESULTS_DEFAULTS: Required<ExperimentResultsOptions> = {
  confidence: DEFAULT_CONFIDENCE,
  minSamplePerArm: 30,
  minConversions: 5,
};

export interface ExperimentArmResult {
  arm: string;
  assigned: number;
  converted: number;
  expectedFraction: number;
  /** converted / assigned with its Wilson interval; null below the minimum sample */
  rate: Estimate | null;
}

/** One variant against control. The numbers are null when `status` is `insufficientSample`. */
export interface VariantComparison {
  variant: string;
  status: 'measured' | 'insufficientSample';
  /** in words when `insufficientSample`, e.g. "control has 12 customers; at least 30 per arm are needed" */
  reason: string | null;
  /** p_variant − p_control in rate points, Newcombe hybrid score interval */
  difference: Estimate | null;
  /** p_variant / p_control − 1, log-ratio delta-method interval; null also when an arm has no conversion */
  relativeLift: Estimate | null;
  /** two-sided pooled two-proportion z-test (fixed horizon: read once, at the end; see the sequential state for peeking) */
  pValue: number | null;
}

export interface ExperimentResults {
  confidence: number;
  arms: ExperimentArmResult[];
  comparisons: VariantComparison[];
  /** χ² of observed against expected assignments over every arm: shown on every experiment */
  sampleRatio: SampleRatioCheck;
}

/**
 * The results of an A/B/n experiment (issue #13): per arm the conversion rate with its Wilson
 * interval; per variant against control the absolute difference with Newcombe's interval, the
 * relative lift with a log-ratio delta-method interval (Katz 1978) and the pooled z-test p-value;
 * and the sample-ratio-mismatch check over all arms (Pearson χ², flagged at p < 0.001), which is
 * computed whatever the sample so a broken split shows from the first customers.
 *
 * Below the minimum sample an arm's rate is null and its comparison says why instead of printing
 * numbers. Arms are given control first; each variant is compared with control only (no
 * correction for the number of variants: read k p-values with that in mind, or use the sequential
 * test, which is corrected). Throws a RangeError for counts that are not whole numbers with
 * converted ≤ assigned, or when there is no control arm.
 */
export function experimentResults(arms: readonly ExperimentArmCount[], options: ExperimentResultsOptions = {}): ExperimentResults {
  const { confidence, minSamplePerArm, minConversions } = { ...EXPERIMENT_RESULTS_DEFAULTS, ...options };
  for (const a of arms) {
    if (!Number.isInteger(a.assigned) || !Number.isInteger(a.converted) || a.converted < 0 || a.converted > a.assigned) {
      throw new RangeError(`experimentResults: arm ${a.arm} needs whole numbers with 0 <= converted <= assigned (assigned=${a.assigned}, converted=${a.converted})`);
    }
  }
  const control = arms.find((a) => a.arm === CONTROL_ARM);
  if (!control) throw new RangeError(`experimentResults: arms must include ${CONTROL_ARM} (arms=${arms.map((a) => a.arm).join(',')})`);
  const sampleRatio = checkSampleRatio(arms.map((a) => ({ arm: a.arm, observed: a.assigned, expectedFraction: a.expectedFraction })));
  const results = arms.map((a): ExperimentArmResult => ({
    ...a,
    rate: a.assigned >= minSamplePerArm ? { value: a.converted / a.assigned, ...wilsonInterval(a.converted, a.assigned, confidence) } : null,
  }));
  const comparisons = arms
    .filter((a) => a.arm !== CONTROL_ARM)
    .map((v) => compare(v, control, confidence, minSamplePerArm, minConversions));
  return { confidence, arms: results, comparisons, sampleRatio };
}

function compare(variant: ExperimentArmCount, control: ExperimentArmCount, confidence: number, minSamplePerArm: number, minConversions: number): VariantComparison {
  const reason = insufficiency(variant, control, minSamplePerArm, minConversions);
  if (reason) return { variant: variant.arm, status: 'insufficientSample', reason, difference: null, relativeLift: null, pValue: null };
  const v = { successes: variant.converted, trials: variant.assigned };
  const c = { successes: control.converted, trials: control.assigned };
  const difference = { value: v.successes / v.trials - c.successes / c.trials, ...newcombeInterval(v, c, confidence) };
  const ratio = rateRatioInterval(v, c, confidence);
  const relativeLift = ratio ? { value: ratio.ratio - 1, lower: ratio.interval.lower - 1, upper: ratio.interval.upper - 1 } : null;
  return { variant: variant.arm, status: 'measured', reason: null, difference, relativeLift, pValue: twoProportionPValue(v, c) };
}

/** The first reason a comparison's sample is too small, in words; null when it is large enough. */
function insufficiency(variant: ExperimentArmCount, control: ExperimentArmCount, minSamplePerArm: number, minConversions: number): string | null {
  for (const a of [variant, control]) {
    if (a.assigned < minSamplePerArm) return `${a.arm} has ${a.assigned} customers; at least ${minSamplePerArm} per arm are needed`;
  }
  const converted = variant.converted + control.converted;
  const not = variant.assigned + control.assigned - converted;
  const needed = `at least ${minConversions} across ${variant.arm} and ${CONTROL_ARM} are needed`;
  if (converted < minConversions) return `${converted} customers converted; ${needed}`;
  if (not < minConversions) return `${not} customers did not convert; ${needed}`;
  return null;
}
