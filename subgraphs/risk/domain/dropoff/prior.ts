/**
 * The cold-start drop-off score, used until a tenant activates a trained drop-off model: a
 * logistic score with fixed, documented weights over the journey features,
 *
 *   logit(p) = logit(DROP_OFF_BASE_RATE) + RETRY_WEIGHT × retries + STALL_WEIGHT × stalled
 *            + SLOW_WEIGHT × ln(time_in_step_ratio)   when slower than typical,
 *
 * so an instance moving at the usual pace without retries scores the base rate, and each
 * factor's contribution is exact, like a trained model's.
 */
import type { JourneyFeatureSnapshot } from './journey-features';

export const DROP_OFF_BASE_RATE = 0.15;
export const RETRY_WEIGHT = 0.7;
export const STALL_WEIGHT = 1.5;
export const SLOW_WEIGHT = 0.8;

export interface DropOffPriorScore {
  probability: number;
  factors: { factor: string; contribution: number; description: string; evidence: string[] }[];
}

export function scoreDropOffPrior(features: JourneyFeatureSnapshot): DropOffPriorScore {
  const v = features.values;
  const factors: DropOffPriorScore['factors'] = [];
  const add = (factor: string, contribution: number) =>
    contribution !== 0 && factors.push({ factor, contribution, description: features.describe[factor] ?? factor, evidence: [] });
  add('retries', RETRY_WEIGHT * Number(v.retries ?? 0));
  add('stalled', STALL_WEIGHT * Number(v.stalled ?? 0));
  const ratio = typeof v.time_in_step_ratio === 'number' ? v.time_in_step_ratio : null;
  if (ratio !== null && ratio > 1) add('time_in_step_ratio', SLOW_WEIGHT * Math.log(ratio));
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const logit = Math.log(DROP_OFF_BASE_RATE / (1 - DROP_OFF_BASE_RATE)) + factors.reduce((s, f) => s + f.contribution, 0);
  return { probability: 1 / (1 + Math.exp(-logit)), factors };
}
