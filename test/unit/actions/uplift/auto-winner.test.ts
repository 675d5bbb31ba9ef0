import { CONTROL_ARM } from '../../../../subgraphs/actions/domain/uplift/assignment';
import { lookForWinner } from '../../../../subgraphs/actions/domain/uplift/auto-winner';
import type { MsprtState } from '../../../../subgraphs/actions/domain/uplift/msprt';
import { drawBinomial } from './simulate';
import { createSeededRandom } from '../../../../subgraphs/common/math/random';

const OPTIONS = { minSamplePerArm: 100, alpha: 0.05, mixingSd: 0.05 };
const count = (successes: number, trials: number) => ({ successes, trials });

describe('lookForWinner', () => {
  it('decides nothing before the minimum sample, and says so', () => {
    const look = lookForWinner({ [CONTROL_ARM]: count(5, 50), a: count(40, 50) }, {}, OPTIONS, false);
    expect(look.decision).toBeNull();
    expect(look.reason).toBe('an arm has 50 customers; at least 100 per arm are needed');
    expect(look.states.a.looks).toBe(0);
  });

  it('declares a variant clearly better than control, tested at alpha / variants (Bonferroni)', () => {
    const counts = { [CONTROL_ARM]: count(100, 1000), a: count(105, 1000), b: count(200, 1000) };
    const look = lookForWinner(counts, {}, OPTIONS, false);
    expect(look.decision).toMatchObject({ arm: 'b', alphaPerVariant: 0.025, counts });
    expect(look.decision!.pValue).toBeLessThanOrEqual(0.025);
    expect(look.decision!.interval.lower).toBeGreaterThan(0);
    expect(look.decision!.difference).toBeCloseTo(0.1, 12);
    expect(look.states.a.looks).toBe(1);
  });

  it('declares no winner while the sample ratio is flagged', () => {
    const look = lookForWinner({ [CONTROL_ARM]: count(100, 1000), a: count(200, 1000) }, {}, OPTIONS, true);
    expect(look.decision).toBeNull();
    expect(look.reason).toMatch(/^sample ratio mismatch/);
  });

  it('never declares a variant that is worse than control', () => {
    const look = lookForWinner({ [CONTROL_ARM]: count(200, 1000), a: count(100, 1000) }, {}, OPTIONS, false);
    expect(look.decision).toBeNull();
    expect(look.states.a.pValue).toBeLessThan(0.025);
  });

  it('keeps the false-positive rate under alpha when looking after every batch of an A/A/A test', () => {
    const random = createSeededRandom(13);
    let declared = 0;
    const runs = 400;
    for (let r = 0; r < runs; r++) {
      const counts: Record<string, { successes: number; trials: number }> = { [CONTROL_ARM]: count(0, 0), a: count(0, 0), b: count(0, 0) };
      let states: Record<string, MsprtState> = {};
      // 40 looks, one after every 50 customers per arm, all arms converting at 10 %
      for (let batch = 0; batch < 40; batch++) {
        for (const arm of Object.keys(counts)) counts[arm] = count(counts[arm].successes + drawBinomial(random, 50, 0.1), counts[arm].trials + 50);
        const look = lookForWinner(counts, states, OPTIONS, false);
        states = look.states;
        if (look.decision) {
          declared++;
          break;
        }
      }
    }
    expect(declared / runs).toBeLessThanOrEqual(0.05);
  });
});
