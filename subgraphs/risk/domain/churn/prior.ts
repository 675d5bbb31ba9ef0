/**
 * The cold-start score: a transparent rules-based prior used until a tenant activates a trained
 * churn model. It is a logistic score with fixed, documented weights over the same features:
 *
 *   logit(p) = logit(PRIOR_BASE_RATE)
 *            + Σ_type  SIGNAL_WEIGHT × Σ_signals severity × exp(−age_days / SIGNAL_DECAY_DAYS)   (last 30 days;
 *              a signal keeps 1/e of its weight after SIGNAL_DECAY_DAYS)
 *            + SILENCE_WEIGHT × ln(days_since_last_event / usual_gap)   when silent longer than usual
 *
 * so a customer with no friction on their usual rhythm scores the base rate, and each factor's
 * contribution is exact (they add up to logit(p) − logit(base)), like a trained model's.
 */
import { DAY_MS, daysBetween, medianGapDays, type ProfileHistory } from './history';
import { summarizeHistory, type ProfileSummary } from './summary';

export const PRIOR_BASE_RATE = 0.1;
export const SIGNAL_WEIGHT = 1.2;
export const SIGNAL_DECAY_DAYS = 14;
export const SILENCE_WEIGHT = 0.8;
export const PRIOR_MODEL_REF = { id: null, version: null, name: 'prior' } as const;

export interface PriorFactor {
  factor: string;
  contribution: number;
  description: string;
  evidence: string[];
}

export interface PriorScore {
  probability: number;
  baselineProbability: number;
  factors: PriorFactor[];
}

const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

export function scorePrior(history: ProfileHistory, now: Date): PriorScore {
  return scorePriorFromSummary(summarizeHistory(history, now, []), now);
}

/** The prior from a profile's summary as of `now` (see `summary.ts`). */
export function scorePriorFromSummary(summary: ProfileSummary, now: Date): PriorScore {
  const at = now.getTime();
  const factors: PriorFactor[] = [];
  const recent = summary.recentSignals;
  const byType = new Map<string, typeof recent>();
  for (const s of recent) byType.set(s.type, [...(byType.get(s.type) ?? []), s]);
  for (const [type, signals] of byType) {
    const weight = signals.reduce((sum, s) => sum + s.severity * Math.exp(-daysBetween(s.detectedAt, now) / SIGNAL_DECAY_DAYS), 0);
    const summaries = [...new Set(signals.map((s) => s.summary).reverse())];
    factors.push({
      factor: `signals_30d:${type}`,
      contribution: SIGNAL_WEIGHT * weight,
      description: summaries.slice(0, 2).join('; ') + (summaries.length > 2 ? ` (+${summaries.length - 2} more)` : ''),
      evidence: signals.map((s) => s.id),
    });
  }
  const usualGap = medianGapDays(summary.activeDays);
  const last = summary.lastEvent;
  if (last && usualGap) {
    const silent = (at - last.t) / DAY_MS;
    if (silent > usualGap) {
      factors.push({
        factor: 'days_since_last_event',
        contribution: SILENCE_WEIGHT * Math.log(silent / usualGap),
        description: `no activity for ${Math.round(silent)} days vs usual ${Math.round(usualGap)}`,
        evidence: [last.id],
      });
    }
  }
  factors.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  const base = logit(PRIOR_BASE_RATE);
  return { probability: sigmoid(base + factors.reduce((sum, f) => sum + f.contribution, 0)), baselineProbability: PRIOR_BASE_RATE, factors };
}
