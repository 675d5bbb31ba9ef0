import { DEFAULT_CONFIDENCE, type Interval } from './confidence';
import { newcombeInterval, type BinomialCount } from './newcombe';
import { rateRatioInterval } from './relative-lift';
import { checkSampleRatio, type SampleRatioCheck } from './sample-ratio';
import { twoProportionPValue } from './two-proportion-test';
import { welchTest } from './welch';
import { wilsonInterval } from './wilson';

/**
 * Whether the measured outcome is one the playbook should make rarer (`reduce`: churned) or more
 * common (`increase`: converted). It fixes the sign of uplift so that a positive uplift always
 * means the playbook helped.
 */
export type OutcomeDirection = 'reduce' | 'increase';

/** One arm over the period: customers enrolled and how many had the outcome within the window. */
export interface ArmOutcomes {
  customers: number;
  outcomes: number;
}

/** Revenue of one arm summed per customer over the window (customers without the event count as 0). */
export interface ArmRevenue {
  /** Σ over the arm's customers of their revenue */
  sum: number;
  /** Σ over the arm's customers of their revenue squared */
  sumSquares: number;
}

export interface PlaybookImpactInput {
  treated: ArmOutcomes;
  control: ArmOutcomes;
  direction: OutcomeDirection;
  /** Σ CLV of the treated customers from the lifetime model, in the tenant's currency. */
  treatedClvSum: number;
  /** Cost of the actions sent to the treated over the period (per-channel costs), same currency. */
  cost: number;
  /** The configured holdout share; when given, the split is checked for sample-ratio mismatch. */
  holdoutFraction?: number;
  /**
   * For a REVENUE outcome: the arms' revenue per customer. When given, the impact is the
   * difference in mean revenue per customer (Welch), not the rate uplift times CLV.
   */
  revenue?: { treated: ArmRevenue; control: ArmRevenue } | null;
}

/** Options of {@link playbookImpact}. */
export interface PlaybookImpactOptions {
  /** Two-sided confidence level of every interval. Default 0.95. */
  confidence?: number;
  /** Customers each arm needs before any number is shown. Default 30. */
  minCustomersPerArm?: number;
  /**
   * Customers with the outcome, and customers without it, that both arms together need. Default 5.
   * Below it the 2×2 table carries almost no information about the difference.
   */
  minOutcomes?: number;
}

export const PLAYBOOK_IMPACT_DEFAULTS: Required<PlaybookImpactOptions> = {
  confidence: DEFAULT_CONFIDENCE,
  minCustomersPerArm: 30,
  minOutcomes: 5,
};

/** A point estimate with its interval at the result's confidence level. */
export interface Estimate extends Interval {
  value: number;
}

export interface ArmRate {
  customers: number;
  outcomes: number;
  /** outcomes / customers with its Wilson interval */
  rate: Estimate;
}

export interface InsufficientSample {
  status: 'insufficientSample';
  /** in words, e.g. "control has 12 customers; at least 30 per arm are needed" */
  reason: string;
  treated: ArmOutcomes;
  control: ArmOutcomes;
  sampleRatio: SampleRatioCheck | null;
}

export interface MeasuredImpact {
  status: 'measured';
  confidence: number;
  direction: OutcomeDirection;
  treated: ArmRate;
  control: ArmRate;
  /** absolute uplift in rate points (control − treated for `reduce`), Newcombe interval */
  uplift: Estimate;
  /**
   * uplift relative to control (1 − p_T/p_C for `reduce`, p_T/p_C − 1 for `increase`), log-ratio
   * delta-method interval; null when an arm has no outcomes and the ratio has no finite interval
   */
  relativeLift: Estimate | null;
  /** two-sided pooled z-test of equal rates (fixed horizon); for REVENUE, Welch's t test of equal means */
  pValue: number;
  /** for REVENUE only (else null): mean revenue per customer per arm and the difference */
  meanDifference: MeanDifference | null;
  /** uplift × treated customers: customers retained (or converted) because of the playbook */
  customersRetained: Estimate;
  /** mean CLV of the treated, taken as known (its own uncertainty is not propagated) */
  meanClv: number;
  /** uplift × treated × mean CLV; for REVENUE, mean difference × treated customers */
  revenueProtected: Estimate;
  cost: number;
  /** (revenue protected − cost) / cost; null when the cost is 0 */
  roi: Estimate | null;
  sampleRatio: SampleRatioCheck | null;
}

/** A REVENUE outcome's comparison: mean revenue per customer per arm and their difference. */
export interface MeanDifference {
  treatedMean: number;
  controlMean: number;
  /** treated − control mean revenue per customer, Welch–Satterthwaite t interval */
  difference: Estimate;
  /** Welch–Satterthwaite degrees of freedom of the interval and the test */
  degreesOfFreedom: number;
}

export type PlaybookImpact = InsufficientSample | MeasuredImpact;

/**
 * What a playbook changed, from the counts of its treated and control (holdout) arms over a period
 * (DESIGN.md step 6, issue #13): outcome rates with Wilson intervals, absolute uplift with
 * Newcombe's hybrid score interval, relative lift with a log-ratio interval, a p-value, customers
 * retained = uplift × treated and revenue protected = uplift × treated × mean CLV of the treated,
 * both with the uplift's interval scaled, then cost and ROI = (revenue protected − cost)/cost.
 *
 * A REVENUE outcome (`input.revenue`) is compared on mean revenue per customer instead: the
 * difference treated − control with a Welch–Satterthwaite t interval and Welch's t-test p-value,
 * and revenue protected = difference × treated customers with the interval scaled (the rate
 * fields still describe who bought at all).
 *
 * Below the minimum sample it returns `insufficientSample` with the reason instead of numbers:
 * a figure with an interval as wide as the scale misleads more than none. Throws a RangeError for
 * counts that are not whole numbers with outcomes ≤ customers, or a negative CLV sum or cost.
 */
export function playbookImpact(
  input: PlaybookImpactInput,
  options: PlaybookImpactOptions = {},
): PlaybookImpact {
  const { confidence, minCustomersPerArm, minOutcomes } = {
    ...PLAYBOOK_IMPACT_DEFAULTS,
    ...options,
  };
  const { treated, control, direction, treatedClvSum, cost } = input;
  if (!Number.isInteger(minCustomersPerArm) || minCustomersPerArm < 1) {
    throw new RangeError(
      `playbookImpact: minCustomersPerArm must be a whole number >= 1 (minCustomersPerArm=${minCustomersPerArm})`,
    );
  }
  assertArm('treated', treated);
  assertArm('control', control);
  if (!(treatedClvSum >= 0) || !Number.isFinite(treatedClvSum)) {
    throw new RangeError(
      `playbookImpact: treatedClvSum must be finite and >= 0 (treatedClvSum=${treatedClvSum})`,
    );
  }
  if (!(cost >= 0) || !Number.isFinite(cost)) {
    throw new RangeError(`playbookImpact: cost must be finite and >= 0 (cost=${cost})`);
  }
  const holdout = input.holdoutFraction;
  const sampleRatio =
    holdout === undefined
      ? null
      : checkSampleRatio([
          { arm: 'treated', observed: treated.customers, expectedFraction: 1 - holdout },
          { arm: 'control', observed: control.customers, expectedFraction: holdout },
        ]);

  const revenue = input.revenue ?? null;
  if (revenue) {
    assertRevenue('treated', revenue.treated);
    assertRevenue('control', revenue.control);
  }
  const reason = revenue
    ? revenueInsufficiency(treated, control, revenue, minCustomersPerArm, minOutcomes)
    : insufficiency(treated, control, minCustomersPerArm, minOutcomes);
  if (reason !== null) {
    return { status: 'insufficientSample', reason, treated, control, sampleRatio };
  }

  const t: BinomialCount = { successes: treated.outcomes, trials: treated.customers };
  const c: BinomialCount = { successes: control.outcomes, trials: control.customers };
  // the difference is taken in the order that makes "helped" positive: control − treated for churn
  const [minuend, subtrahend] = direction === 'reduce' ? [c, t] : [t, c];
  const uplift = {
    value: minuend.successes / minuend.trials - subtrahend.successes / subtrahend.trials,
    ...newcombeInterval(minuend, subtrahend, confidence),
  };

  const ratio = rateRatioInterval(t, c, confidence); // p_T / p_C
  let relativeLift: Estimate | null = null;
  if (ratio !== null) {
    const { lower, upper } = ratio.interval;
    relativeLift =
      direction === 'reduce'
        ? { value: 1 - ratio.ratio, lower: 1 - upper, upper: 1 - lower }
        : { value: ratio.ratio - 1, lower: lower - 1, upper: upper - 1 };
  }

  const meanClv = treatedClvSum / treated.customers;
  const customersRetained = scale(uplift, treated.customers);
  let meanDifference: MeanDifference | null = null;
  let pValue = twoProportionPValue(t, c);
  let revenueProtected = scale(uplift, treated.customers * meanClv);
  if (revenue) {
    const welch = welchTest(
      { n: treated.customers, ...revenue.treated },
      { n: control.customers, ...revenue.control },
      confidence,
    );
    const difference = { value: welch.difference, lower: welch.lower, upper: welch.upper };
    meanDifference = { treatedMean: welch.meanA, controlMean: welch.meanB, difference, degreesOfFreedom: welch.degreesOfFreedom };
    pValue = welch.pValue;
    revenueProtected = scale(difference, treated.customers);
  }
  const roi =
    cost === 0
      ? null
      : {
          value: (revenueProtected.value - cost) / cost,
          lower: (revenueProtected.lower - cost) / cost,
          upper: (revenueProtected.upper - cost) / cost,
        };

  return {
    status: 'measured',
    confidence,
    direction,
    treated: armRate(treated, confidence),
    control: armRate(control, confidence),
    uplift,
    relativeLift,
    pValue,
    meanDifference,
    customersRetained,
    meanClv,
    revenueProtected,
    cost,
    roi,
    sampleRatio,
  };
}

function assertArm(name: string, arm: ArmOutcomes): void {
  const { customers, outcomes } = arm;
  const whole = Number.isInteger(customers) && Number.isInteger(outcomes);
  if (!whole || outcomes < 0 || outcomes > customers) {
    throw new RangeError(
      `playbookImpact: ${name} needs whole numbers with 0 <= outcomes <= customers ` +
        `(customers=${customers}, outcomes=${outcomes})`,
    );
  }
}

function assertRevenue(name: string, arm: ArmRevenue): void {
  const { sum, sumSquares } = arm;
  if (!Number.isFinite(sum) || !Number.isFinite(sumSquares) || !(sumSquares >= 0)) {
    throw new RangeError(`playbookImpact: ${name} revenue needs finite sums with sumSquares >= 0 (sum=${sum}, sumSquares=${sumSquares})`);
  }
}

/**
 * The first reason a REVENUE sample is too small, in words; null when it is large enough: customers
 * per arm, customers with any revenue across both arms, and some spread (a difference of two
 * constant arms has no interval).
 */
function revenueInsufficiency(
  treated: ArmOutcomes,
  control: ArmOutcomes,
  revenue: { treated: ArmRevenue; control: ArmRevenue },
  minCustomersPerArm: number,
  minOutcomes: number,
): string | null {
  for (const [name, arm] of [['treated', treated], ['control', control]] as const) {
    if (arm.customers < minCustomersPerArm) {
      return `${name} has ${arm.customers} customers; at least ${minCustomersPerArm} per arm are needed`;
    }
  }
  const withRevenue = treated.outcomes + control.outcomes;
  if (withRevenue < minOutcomes) {
    return `${withRevenue} customers had revenue; at least ${minOutcomes} across both arms are needed`;
  }
  const spread = (arm: ArmOutcomes, r: ArmRevenue) => r.sumSquares - (r.sum * r.sum) / arm.customers > 1e-9 * Math.max(1, r.sumSquares);
  if (!spread(treated, revenue.treated) && !spread(control, revenue.control)) {
    return 'revenue per customer is the same for every customer of both arms; there is no spread to measure against';
  }
  return null;
}

/** The first reason the sample is too small, in words; null when it is large enough. */
function insufficiency(
  treated: ArmOutcomes,
  control: ArmOutcomes,
  minCustomersPerArm: number,
  minOutcomes: number,
): string | null {
  for (const [name, arm] of [['treated', treated], ['control', control]] as const) {
    if (arm.customers < minCustomersPerArm) {
      const needed = `at least ${minCustomersPerArm} per arm are needed`;
      return `${name} has ${arm.customers} customers; ${needed}`;
    }
  }
  const withOutcome = treated.outcomes + control.outcomes;
  const without = treated.customers + control.customers - withOutcome;
  const needed = `at least ${minOutcomes} across both arms are needed`;
  if (withOutcome < minOutcomes) return `${withOutcome} customers had the outcome; ${needed}`;
  if (without < minOutcomes) return `${without} customers did not have the outcome; ${needed}`;
  return null;
}

function armRate(arm: ArmOutcomes, confidence: number): ArmRate {
  const interval = wilsonInterval(arm.outcomes, arm.customers, confidence);
  const rate = { value: arm.outcomes / arm.customers, ...interval };
  return { customers: arm.customers, outcomes: arm.outcomes, rate };
}

/** An estimate times a non-negative constant (the interval keeps its order). */
function scale(estimate: Estimate, factor: number): Estimate {
  const { value, lower, upper } = estimate;
  return { value: value * factor, lower: lower * factor, upper: upper * factor };
}
