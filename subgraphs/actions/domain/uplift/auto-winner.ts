import { CONTROL_ARM } from './assignment';
import type { Interval } from './confidence';
import { msprtLook, MSPRT_INITIAL_STATE, type MsprtState } from './msprt';
import type { BinomialCount } from './newcombe';

/** Settings of an automatic winner (the experiment step's `autoWinner`). */
export interface AutoWinnerOptions {
  /** Customers every arm needs before a look counts. */
  minSamplePerArm: number;
  /** Family-wise false-positive bound over every look and every variant. */
  alpha: number;
  /** τ of the mSPRT's normal mixing distribution, in rate units. */
  mixingSd: number;
}

/** A decided winner: the variant, its always-valid p-value and interval against control, and the counts it was decided on. */
export interface WinnerDecision {
  arm: string;
  /** the variant's running always-valid p-value (compare with alpha / variants) */
  pValue: number;
  /** always-valid interval of p_variant − p_control at level 1 − alpha / variants */
  interval: Interval;
  /** p̂_variant − p̂_control at the deciding look */
  difference: number;
  /** alpha / number of variants: the level each variant was tested at */
  alphaPerVariant: number;
  counts: Record<string, BinomialCount>;
}

export interface WinnerLook {
  /** the sequential state per variant after this look (store it for the next) */
  states: Record<string, MsprtState>;
  /** the decision, or null when no variant is significantly better than control yet (or SRM blocks it) */
  decision: WinnerDecision | null;
  /** why there is no decision, in words; null with a decision */
  reason: string | null;
}

/**
 * One look of the automatic winner: the mixture SPRT (msprt.ts, Johari et al. 2022) of each
 * variant against control at level α/k for k variants (Bonferroni, so the chance that any variant
 * is declared better than an equal control over all looks together stays ≤ α). The running state
 * of each variant is folded in, so looking after every batch is still anytime-valid.
 *
 * A variant wins when its test rejects with a positive difference; among several, the one with the
 * highest conversion rate. No decision is made while the sample-ratio check is flagged: a broken
 * split biases the comparison the test relies on. Pure: the caller stores `states` and records the
 * decision once.
 */
export function lookForWinner(
  counts: Readonly<Record<string, BinomialCount>>,
  previous: Readonly<Record<string, MsprtState>>,
  options: AutoWinnerOptions,
  sampleRatioFlagged: boolean,
): WinnerLook {
  const control = counts[CONTROL_ARM];
  const variants = Object.keys(counts).filter((a) => a !== CONTROL_ARM);
  if (!control || variants.length === 0) {
    throw new RangeError(`lookForWinner: counts need ${CONTROL_ARM} and at least one variant (arms=${Object.keys(counts).join(',')})`);
  }
  const alphaPerVariant = options.alpha / variants.length;
  const states: Record<string, MsprtState> = {};
  const better: { arm: string; rate: number; pValue: number; interval: Interval; difference: number }[] = [];
  for (const arm of variants) {
    const v = counts[arm];
    const before = previous[arm] ?? MSPRT_INITIAL_STATE;
    if (v.trials === 0 || control.trials === 0) {
      states[arm] = before;
      continue;
    }
    const look = msprtLook(v, control, before, { alpha: alphaPerVariant, mixingSd: options.mixingSd, minSamplePerArm: options.minSamplePerArm });
    states[arm] = look.state;
    if (look.reject && look.state.interval.lower > 0) {
      better.push({ arm, rate: v.successes / v.trials, pValue: look.state.pValue, interval: look.state.interval, difference: look.difference });
    }
  }
  const smallest = Math.min(control.trials, ...variants.map((a) => counts[a].trials));
  if (better.length === 0) {
    const reason = smallest < options.minSamplePerArm ? `an arm has ${smallest} customers; at least ${options.minSamplePerArm} per arm are needed` : 'no variant is significantly better than control yet';
    return { states, decision: null, reason };
  }
  if (sampleRatioFlagged) return { states, decision: null, reason: 'sample ratio mismatch: no winner is declared while the split is not what was configured' };
  const best = better.reduce((a, b) => (b.rate > a.rate ? b : a));
  return {
    states,
    decision: { arm: best.arm, pValue: best.pValue, interval: best.interval, difference: best.difference, alphaPerVariant, counts: { ...counts } },
    reason: null,
  };
}
