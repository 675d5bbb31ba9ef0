import { erfc } from '../../../common/math/normal';
import { assertBinomial } from './confidence';

/** One arm's guardrail count: customers assigned, and those of them with at least one guardrail event. */
export interface GuardrailArm {
  customers: number;
  events: number;
}

/** Options of `guardrailWorse`. */
export interface GuardrailTestOptions {
  /** Customers each arm needs before the test may conclude anything. Default 30. */
  minimumPerArm?: number;
  /** One-sided significance level: worse when p < alpha. Default 0.01. */
  alpha?: number;
}

/** What `guardrailWorse` decided, with the numbers behind it. */
export interface GuardrailVerdict {
  /** True when the treated rate is significantly greater than the control rate. */
  worse: boolean;
  /** One-sided p-value of H₀: treated rate ≤ control rate; null below the minimum sample. */
  pValue: number | null;
  /** Share of treated customers with a guardrail event; null when the arm is empty. */
  treatedRate: number | null;
  controlRate: number | null;
  /** A sentence for people: why it is (or is not) worse. */
  reason: string;
}

export const GUARDRAIL_MIN_PER_ARM = 30;
export const GUARDRAIL_ALPHA = 0.01;

/**
 * One-sided pooled two-proportion z-test that the treated arm's guardrail rate (unsubscribes,
 * complaints, opt-outs) is greater than the control's:
 *
 *   z = (p̂_t − p̂_c) / √(p̄(1 − p̄)(1/n_t + 1/n_c)),  p̄ = (x_t + x_c)/(n_t + n_c),  p = 1 − Φ(z),
 *
 * worse when p < alpha (default 0.01) and both arms have at least `minimumPerArm` customers
 * (default 30). The variance is pooled because it is computed under H₀. One-sided because only
 * harm pauses a playbook; a lower treated rate is no reason to stop it.
 */
export function guardrailWorse(treated: GuardrailArm, control: GuardrailArm, options: GuardrailTestOptions = {}): GuardrailVerdict {
  const minimum = options.minimumPerArm ?? GUARDRAIL_MIN_PER_ARM;
  const alpha = options.alpha ?? GUARDRAIL_ALPHA;
  if (!(minimum >= 1)) throw new RangeError(`guardrailWorse: minimumPerArm must be >= 1 (minimumPerArm=${minimum})`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`guardrailWorse: alpha must be in (0, 1) (alpha=${alpha})`);
  const rate = (arm: GuardrailArm) => (arm.customers > 0 ? arm.events / arm.customers : null);
  const treatedRate = rate(treated);
  const controlRate = rate(control);
  if (treated.customers < minimum || control.customers < minimum) {
    return { worse: false, pValue: null, treatedRate, controlRate, reason: `below the minimum sample of ${minimum} customers per arm (treated ${treated.customers}, control ${control.customers})` };
  }
  assertBinomial('guardrailWorse', treated.events, treated.customers);
  assertBinomial('guardrailWorse', control.events, control.customers);
  const pooled = (treated.events + control.events) / (treated.customers + control.customers);
  const variance = pooled * (1 - pooled) * (1 / treated.customers + 1 / control.customers);
  // no variation in either arm (no guardrail event at all, or all customers had one): no evidence
  const z = variance === 0 ? 0 : (treatedRate! - controlRate!) / Math.sqrt(variance);
  // 1 − Φ(z) = erfc(z/√2)/2, without the cancellation for large z
  const pValue = variance === 0 ? 1 : Math.min(1, erfc(z / Math.SQRT2) / 2);
  const worse = pValue < alpha;
  const rates = `treated ${percent(treatedRate!)} (${treated.events}/${treated.customers}) vs control ${percent(controlRate!)} (${control.events}/${control.customers})`;
  return {
    worse,
    pValue,
    treatedRate,
    controlRate,
    reason: worse ? `guardrail events significantly more frequent in treated than in control: ${rates}, one-sided p = ${pValue.toPrecision(2)} < ${alpha}` : `no significant guardrail harm: ${rates}, one-sided p = ${pValue.toPrecision(2)}`,
  };
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}
