import { CONTROL_ARM, digestToUnit, type Sha256 } from './assignment';

/** An arm of an experiment with its relative traffic weight (control first, then the variants). */
export interface WeightedArm {
  arm: string;
  weight: number;
}

/**
 * The shares each arm gets: weights normalised to sum to 1. Once a winner is decided, control
 * keeps its share (so the comparison goes on being measured) and the winner takes every other
 * variant's share; the losers get 0.
 */
export function experimentShares(arms: readonly WeightedArm[], winner: string | null = null): Map<string, number> {
  assertArms(arms);
  const total = arms.reduce((s, a) => s + a.weight, 0);
  const shares = new Map(arms.map((a) => [a.arm, a.weight / total]));
  if (winner === null) return shares;
  if (winner === CONTROL_ARM || !shares.has(winner)) {
    throw new RangeError(`experimentShares: the winner must be one of the variants (winner=${winner})`);
  }
  const control = shares.get(CONTROL_ARM)!;
  return new Map(arms.map((a) => [a.arm, a.arm === CONTROL_ARM ? control : a.arm === winner ? 1 - control : 0]));
}

/**
 * The arm of a profile in an experiment, from a salted SHA-256 of (salt, experimentId, profileId):
 * one 53-bit uniform u (see `digestToUnit`) falls in the cumulative shares, control first. Because
 * control comes first and keeps its share after a winner is decided, a profile that was control
 * stays control; the others go to the winner. Deterministic, hence sticky without a lookup (the
 * caller still prefers the logged arm, so a profile assigned before the decision keeps its arm).
 * Its hash purpose differs from the playbook holdout's, so the two draws are independent.
 */
export function assignExperimentArm(
  sha256: Sha256,
  salt: string,
  experimentId: string,
  profileId: string,
  arms: readonly WeightedArm[],
  winner: string | null = null,
): string {
  const shares = experimentShares(arms, winner);
  const u = digestToUnit(sha256(JSON.stringify(['experiment-arm', salt, experimentId, profileId])));
  let cumulative = 0;
  let last = CONTROL_ARM;
  for (const [arm, share] of shares) {
    if (share === 0) continue;
    cumulative += share;
    last = arm;
    if (u < cumulative) return arm;
  }
  // u < 1 always; rounding in the running sum can leave it just above the last bound
  return last;
}

/** Customers assigned to one arm, split by whether the winner had been decided at assignment. */
export interface PhasedArmCount {
  arm: string;
  beforeWinner: number;
  afterWinner: number;
}

/**
 * The expected share of each arm over all assignments so far, for the sample-ratio check: before
 * the decision each assignment follows the configured shares, after it the winner's shares, so
 * E[n_arm] = N_before·s_arm + N_after·s'_arm and the fraction is E[n_arm] / N. Equal to the
 * configured shares when there is no winner (or no assignment yet).
 */
export function expectedArmFractions(arms: readonly WeightedArm[], counts: readonly PhasedArmCount[], winner: string | null): Map<string, number> {
  const before = experimentShares(arms);
  const after = winner === null ? before : experimentShares(arms, winner);
  const nBefore = counts.reduce((s, c) => s + c.beforeWinner, 0);
  const nAfter = counts.reduce((s, c) => s + c.afterWinner, 0);
  const total = nBefore + nAfter;
  if (total === 0) return before;
  return new Map(arms.map((a) => [a.arm, (nBefore * before.get(a.arm)! + nAfter * after.get(a.arm)!) / total]));
}

function assertArms(arms: readonly WeightedArm[]): void {
  if (arms.length < 2 || arms[0].arm !== CONTROL_ARM) {
    throw new RangeError(`experimentShares: arms must start with ${CONTROL_ARM} and have at least one variant (arms=${arms.map((a) => a.arm).join(',')})`);
  }
  for (const { arm, weight } of arms) {
    if (!(weight > 0) || !Number.isFinite(weight)) {
      throw new RangeError(`experimentShares: weights must be finite and > 0 (arm=${arm}, weight=${weight})`);
    }
  }
  if (new Set(arms.map((a) => a.arm)).size !== arms.length) {
    throw new RangeError(`experimentShares: arm names must be distinct (arms=${arms.map((a) => a.arm).join(',')})`);
  }
}
