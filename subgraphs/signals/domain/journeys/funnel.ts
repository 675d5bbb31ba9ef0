/** One step of a funnel without its timing: how many instances reached it and the conversions into it. */
export interface FunnelStepCounts {
  key: string;
  /** Instances whose furthest step is this one or a later one (a skipped step was still passed). */
  reached: number;
  /** reached / reached at the step before; 1 for the first step when anything entered, else 0. */
  conversion: number;
  /** reached / entered; 0 when nothing entered. */
  conversionFromStart: number;
}

/** `part / whole`, or 0 when the whole is 0 (an empty cohort converts nothing). */
export function shareOf(part: number, whole: number): number {
  return whole ? part / whole : 0;
}

/**
 * The funnel's steps from where each instance of the cohort stands: `atStepIndex` counts the
 * instances by their current (furthest) step index. Reached at step k = entered minus the
 * instances still below k, so a step passed without its event counts as reached.
 */
export function funnelSteps(stepKeys: readonly string[], entered: number, atStepIndex: ReadonlyMap<number, number>): FunnelStepCounts[] {
  const steps: FunnelStepCounts[] = [];
  let reachedBefore = entered;
  for (let k = 0; k < stepKeys.length; k++) {
    let below = 0;
    for (const [i, count] of atStepIndex) if (i < k) below += count;
    const reached = entered - below;
    steps.push({
      key: stepKeys[k],
      reached,
      conversion: k === 0 ? (entered ? 1 : 0) : shareOf(reached, reachedBefore),
      conversionFromStart: shareOf(reached, entered),
    });
    reachedBefore = reached;
  }
  return steps;
}

/** The median of a sorted middle: the middle value of an odd count, the mean of the two middle values of an even one. */
export function middleMean(middle: readonly number[]): number {
  if (middle.length < 1 || middle.length > 2) throw new RangeError(`middleMean: expected 1 or 2 middle values (got ${middle.length})`);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

/** Which rows of `n` sorted values hold the median: skip `offset`, read `limit` (1 for odd n, 2 for even). */
export function medianRows(n: number): { offset: number; limit: number } {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`medianRows: n must be a positive integer (n=${n})`);
  return { offset: Math.floor((n - 1) / 2), limit: n % 2 ? 1 : 2 };
}
