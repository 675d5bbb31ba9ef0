import { createHash } from 'node:crypto';

import { CONTROL_ARM } from '../../../../subgraphs/actions/domain/uplift/assignment';
import { assignExperimentArm, expectedArmFractions, experimentShares } from '../../../../subgraphs/actions/domain/uplift/experiment-assignment';

const sha256 = (message: string) => createHash('sha256').update(message).digest();
const SALT = 'tenant-secret-salt';
const ARMS = [
  { arm: CONTROL_ARM, weight: 2 },
  { arm: 'a', weight: 1 },
  { arm: 'b', weight: 1 },
];
const ids = (count: number) => Array.from({ length: count }, (_, i) => `profile-${i}`);

describe('experimentShares', () => {
  it('normalises the weights, and after a winner gives control its share and the winner the rest', () => {
    expect([...experimentShares(ARMS)]).toEqual([[CONTROL_ARM, 0.5], ['a', 0.25], ['b', 0.25]]);
    expect([...experimentShares(ARMS, 'b')]).toEqual([[CONTROL_ARM, 0.5], ['a', 0], ['b', 0.5]]);
  });

  it('refuses arms without control first, non-positive weights and a winner that is not a variant', () => {
    expect(() => experimentShares([{ arm: 'a', weight: 1 }, { arm: CONTROL_ARM, weight: 1 }])).toThrow(RangeError);
    expect(() => experimentShares([{ arm: CONTROL_ARM, weight: 1 }, { arm: 'a', weight: 0 }])).toThrow('weights must be finite and > 0');
    expect(() => experimentShares(ARMS, CONTROL_ARM)).toThrow('the winner must be one of the variants');
  });
});

describe('assignExperimentArm', () => {
  it('is deterministic per (experiment, profile) and differs between experiments', () => {
    const first = ids(200).map((p) => assignExperimentArm(sha256, SALT, 'exp-1', p, ARMS));
    expect(ids(200).map((p) => assignExperimentArm(sha256, SALT, 'exp-1', p, ARMS))).toEqual(first);
    expect(ids(200).map((p) => assignExperimentArm(sha256, SALT, 'exp-2', p, ARMS))).not.toEqual(first);
  });

  it('splits 20 000 profiles in proportion to the weights (within 4 sd)', () => {
    const n = 20_000;
    const counts = new Map<string, number>();
    for (const p of ids(n)) {
      const arm = assignExperimentArm(sha256, SALT, 'exp-1', p, ARMS);
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    for (const [arm, share] of experimentShares(ARMS)) {
      const sd = Math.sqrt(n * share * (1 - share));
      expect(Math.abs(counts.get(arm)! - n * share)).toBeLessThan(4 * sd);
    }
  });

  it('after a winner keeps every control profile in control and sends every other profile to the winner', () => {
    for (const p of ids(2000)) {
      const before = assignExperimentArm(sha256, SALT, 'exp-1', p, ARMS);
      const after = assignExperimentArm(sha256, SALT, 'exp-1', p, ARMS, 'a');
      expect([p, after]).toEqual([p, before === CONTROL_ARM ? CONTROL_ARM : 'a']);
    }
  });
});

describe('expectedArmFractions', () => {
  it('mixes the configured and the winner’s shares in proportion to the assignments made under each', () => {
    // 400 assigned before the decision (0.5/0.25/0.25), 600 after (0.5/0.5/0)
    const counts = [
      { arm: CONTROL_ARM, beforeWinner: 200, afterWinner: 300 },
      { arm: 'a', beforeWinner: 100, afterWinner: 300 },
      { arm: 'b', beforeWinner: 100, afterWinner: 0 },
    ];
    const f = expectedArmFractions(ARMS, counts, 'a');
    expect(f.get(CONTROL_ARM)).toBeCloseTo(0.5, 12);
    expect(f.get('a')).toBeCloseTo((400 * 0.25 + 600 * 0.5) / 1000, 12);
    expect(f.get('b')).toBeCloseTo((400 * 0.25) / 1000, 12);
    expect([...expectedArmFractions(ARMS, [], null)]).toEqual([...experimentShares(ARMS)]);
  });
});
