import { DEFAULT_CONFIDENCE } from './uplift/confidence';
import { newcombeInterval } from './uplift/newcombe';
import { wilsonInterval } from './uplift/wilson';

/**
 * The actions part of the KPI report (issue #13): how alerts were resolved, whether treated
 * customers met their playbook's goal more often than the holdout, and how long an alert waited
 * for its first message. Counts arrive from SQL aggregates; nothing here reads a database.
 */

/** Fewest alerts (or customers per arm) a rate is shown for, as `playbookImpact`'s minimum per arm. Default 30. */
export const KPI_MIN_SAMPLE = 30;

/** A rate or difference with its interval at `DEFAULT_CONFIDENCE`. */
export interface RateEstimate {
  value: number;
  lower: number;
  upper: number;
}

export interface ProactiveResolutionKpi {
  /** Alerts about a customer raised in the period, less those resolved as false positives. */
  alerts: number;
  /** Of those, resolved with outcome SAVED: the customer was kept before churning or having to call. */
  resolvedProactively: number;
  /** resolvedProactively / alerts with its Wilson interval; null below the minimum sample. */
  rate: RateEstimate | null;
  sampleNote: string | null;
}

/** Proactive resolution rate from the counts of alerts and of alerts resolved SAVED. */
export function proactiveResolutionKpi(alerts: number, resolvedProactively: number, minSample = KPI_MIN_SAMPLE): ProactiveResolutionKpi {
  if (alerts < minSample) return { alerts, resolvedProactively, rate: null, sampleNote: `${alerts} alerts; at least ${minSample} are needed` };
  return { alerts, resolvedProactively, rate: rateOf(resolvedProactively, alerts), sampleNote: null };
}

/** One arm of the next-best-action accuracy: customers assigned, and those whose goal happened. */
export interface GoalArm {
  customers: number;
  goalsMet: number;
}

export interface NextBestActionKpi {
  treated: GoalArm & { rate: RateEstimate | null };
  control: GoalArm & { rate: RateEstimate | null };
  /** Treated goal rate − control goal rate (Newcombe interval); positive: the actions helped. */
  difference: RateEstimate | null;
  sampleNote: string | null;
}

/**
 * Share of treated customers whose playbook goal happened within its window vs the holdout's
 * share. The goal of a CHURNED outcome is not churning; of CONVERTED and REVENUE, the event.
 */
export function nextBestActionKpi(treated: GoalArm, control: GoalArm, minSample = KPI_MIN_SAMPLE): NextBestActionKpi {
  const arm = (a: GoalArm) => ({ ...a, rate: a.customers > 0 ? rateOf(a.goalsMet, a.customers) : null });
  const short = treated.customers < minSample ? ['treated', treated.customers] : control.customers < minSample ? ['control', control.customers] : null;
  if (short) return { treated: arm(treated), control: arm(control), difference: null, sampleNote: `${short[0]} has ${short[1]} customers; at least ${minSample} per arm are needed` };
  const interval = newcombeInterval({ successes: treated.goalsMet, trials: treated.customers }, { successes: control.goalsMet, trials: control.customers }, DEFAULT_CONFIDENCE);
  return {
    treated: arm(treated),
    control: arm(control),
    difference: { value: treated.goalsMet / treated.customers - control.goalsMet / control.customers, ...interval },
    sampleNote: null,
  };
}

export interface LatencyKpi {
  /** Alerts with a first message sent. */
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  sampleNote: string | null;
}

/**
 * Median and 90th percentile of the waits (ms) from alert to first message, by the nearest-rank
 * method (the smallest wait with at least p of the waits at or below it: an observed value).
 */
export function signalToFirstActionKpi(waitsMs: readonly number[], minSample = KPI_MIN_SAMPLE): LatencyKpi {
  const count = waitsMs.length;
  if (count < minSample) return { count, p50Ms: null, p90Ms: null, sampleNote: `${count} alerts with a first action; at least ${minSample} are needed` };
  const sorted = [...waitsMs].sort((a, b) => a - b);
  return { count, p50Ms: nearestRank(sorted, 0.5), p90Ms: nearestRank(sorted, 0.9), sampleNote: null };
}

/** The nearest-rank percentile of ascending values: the value at rank ⌈p·n⌉. */
export function nearestRank(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('nearestRank: needs at least one value (n=0)');
  if (!(p > 0 && p <= 1)) throw new RangeError(`nearestRank: p must be in (0, 1] (p=${p})`);
  return sorted[Math.ceil(p * sorted.length) - 1];
}

function rateOf(successes: number, trials: number): RateEstimate {
  return { value: successes / trials, ...wilsonInterval(successes, trials, DEFAULT_CONFIDENCE) };
}
