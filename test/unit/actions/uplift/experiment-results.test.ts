import { createHash } from 'node:crypto';

import { CONTROL_ARM } from '../../../../subgraphs/actions/domain/uplift/assignment';
import { assignExperimentArm, experimentShares } from '../../../../subgraphs/actions/domain/uplift/experiment-assignment';
import { experimentResults, type ExperimentArmCount } from '../../../../subgraphs/actions/domain/uplift/experiment-results';

const arm = (name: string, assigned: number, converted: number, expectedFraction: number): ExperimentArmCount => ({ arm: name, assigned, converted, expectedFraction });

describe('experimentResults', () => {
  // hand-computed (z = 1.959964): Wilson 100/1000 = [0.0829094, 0.1201520], 130/1000 = [0.1105638, 0.1522680];
  // Newcombe δ = 0.03 ± → [0.0020023, 0.0580705]; ln-ratio lift 0.3 [0.0169843, 0.6617759];
  // pooled z = 0.03 / √(0.115·0.885·0.002) = 2.1027 → p = 0.0354885
  it('pins rates, the Newcombe difference, the relative lift and the p-value to hand-computed values', () => {
    const r = experimentResults([arm(CONTROL_ARM, 1000, 100, 0.5), arm('a', 1000, 130, 0.5)]);
    expect(r.arms[0].rate!.value).toBe(0.1);
    expect(r.arms[0].rate!.lower).toBeCloseTo(0.0829094, 6);
    expect(r.arms[0].rate!.upper).toBeCloseTo(0.120152, 6);
    expect(r.arms[1].rate!.lower).toBeCloseTo(0.1105638, 6);
    expect(r.arms[1].rate!.upper).toBeCloseTo(0.152268, 6);
    const [c] = r.comparisons;
    expect(c).toMatchObject({ variant: 'a', status: 'measured', reason: null });
    expect(c.difference!.value).toBeCloseTo(0.03, 12);
    expect(c.difference!.lower).toBeCloseTo(0.0020023, 6);
    expect(c.difference!.upper).toBeCloseTo(0.0580705, 6);
    expect(c.relativeLift!.value).toBeCloseTo(0.3, 12);
    expect(c.relativeLift!.lower).toBeCloseTo(0.0169843, 6);
    expect(c.relativeLift!.upper).toBeCloseTo(0.6617759, 6);
    expect(c.pValue).toBeCloseTo(0.0354885, 6);
    expect(r.sampleRatio.mismatch).toBe(false);
  });

  it.each([
    // χ² over (500, 260, 240) against (500, 250, 250): 0.8, df 2 → p = e^(−0.4)
    ['a split within chance', [500, 260, 240], 0.8, Math.exp(-0.4), false],
    // (500, 200, 300): χ² = 20 → p = e^(−10) = 4.54e−5 < 0.001
    ['a split far off the weights', [500, 200, 300], 20, Math.exp(-10), true],
  ])('runs the sample-ratio check over every arm: %s', (_name, counts, chiSquare, pValue, flagged) => {
    const r = experimentResults([arm(CONTROL_ARM, counts[0], 50, 0.5), arm('a', counts[1], 30, 0.25), arm('b', counts[2], 30, 0.25)]);
    expect(r.sampleRatio.chiSquare).toBeCloseTo(chiSquare, 10);
    expect(r.sampleRatio.pValue).toBeCloseTo(pValue, 10);
    expect(r.sampleRatio.degreesOfFreedom).toBe(2);
    expect(r.sampleRatio.mismatch).toBe(flagged);
  });

  it('flags SRM on a deliberately broken assignment: one variant loses 10 % of its enrolments', () => {
    const arms = [{ arm: CONTROL_ARM, weight: 1 }, { arm: 'a', weight: 1 }, { arm: 'b', weight: 1 }];
    const shares = experimentShares(arms);
    const count = (drop: boolean) => {
      const n = new Map<string, number>(arms.map((a) => [a.arm, 0]));
      for (let i = 0; i < 30_000; i++) {
        const a = assignExperimentArm((m) => createHash('sha256').update(m).digest(), 'salt', 'exp', `p-${i}`, arms);
        // the bug: every tenth enrolment to variant b is lost before it is logged
        if (drop && a === 'b' && i % 10 === 0) continue;
        n.set(a, n.get(a)! + 1);
      }
      return experimentResults(arms.map((a) => arm(a.arm, n.get(a.arm)!, 0, shares.get(a.arm)!))).sampleRatio;
    };
    expect(count(false).mismatch).toBe(false);
    const broken = count(true);
    expect(broken.mismatch).toBe(true);
    expect(broken.pValue).toBeLessThan(0.001);
  });

  it('says why instead of printing numbers below the minimum sample, and still checks the split', () => {
    const r = experimentResults([arm(CONTROL_ARM, 12, 1, 0.5), arm('a', 40, 4, 0.5)]);
    expect(r.arms.map((a) => a.rate)).toEqual([null, expect.objectContaining({ value: 0.1 })]);
    expect(r.comparisons[0]).toEqual({ variant: 'a', status: 'insufficientSample', reason: 'control has 12 customers; at least 30 per arm are needed', difference: null, relativeLift: null, pValue: null });
    expect(r.sampleRatio.total).toBe(52);
    const few = experimentResults([arm(CONTROL_ARM, 100, 1, 0.5), arm('a', 100, 2, 0.5)]);
    expect(few.comparisons[0].reason).toBe('3 customers converted; at least 5 across a and control are needed');
  });

  it('refuses counts with more conversions than customers, and arms without control', () => {
    expect(() => experimentResults([arm(CONTROL_ARM, 10, 11, 0.5), arm('a', 10, 1, 0.5)])).toThrow(RangeError);
    expect(() => experimentResults([arm('a', 10, 1, 0.5), arm('b', 10, 1, 0.5)])).toThrow('arms must include control');
  });
});
