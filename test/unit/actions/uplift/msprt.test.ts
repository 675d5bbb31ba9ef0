import { createSeededRandom, type Random } from '../../../../subgraphs/common/math/random';
import {
  msprtLook,
  MSPRT_INITIAL_STATE,
  type MsprtState,
} from '../../../../subgraphs/actions/domain/uplift/msprt';
import { twoProportionPValue } from '../../../../subgraphs/actions/domain/uplift/two-proportion-test';
import { drawBinomial } from './simulate';

const count = (successes: number, trials: number) => ({ successes, trials });

interface Trial {
  /** the mSPRT rejected at some look */
  rejected: boolean;
  /** sign of the difference at the first rejection */
  sign: number;
  /** the running interval contained the true difference at every look */
  alwaysCovered: boolean;
  /** a fixed-horizon z-test read at every look would have rejected at some look */
  naiveRejected: boolean;
}

/**
 * One experiment: `looks` batches of `batch` customers per arm, a look after every batch; with
 * `naive`, also reads a fixed-horizon z-test at every look for comparison.
 */
function runExperiment(random: Random, p1: number, p2: number, looks: number, batch: number, naive = false): Trial {
  let x1 = 0;
  let x2 = 0;
  let state: MsprtState = MSPRT_INITIAL_STATE;
  const trial: Trial = { rejected: false, sign: 0, alwaysCovered: true, naiveRejected: false };
  for (let look = 1; look <= looks; look++) {
    x1 += drawBinomial(random, batch, p1);
    x2 += drawBinomial(random, batch, p2);
    const n = look * batch;
    const result = msprtLook(count(x1, n), count(x2, n), state);
    state = result.state;
    if (result.reject && !trial.rejected) {
      trial.rejected = true;
      trial.sign = Math.sign(result.difference);
    }
    if (state.interval.lower > p1 - p2 || p1 - p2 > state.interval.upper) trial.alwaysCovered = false;
    if (naive && twoProportionPValue(count(x1, n), count(x2, n)) < 0.05) trial.naiveRejected = true;
  }
  return trial;
}

function simulate(seed: number, experiments: number, run: (random: Random) => Trial): Trial[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: experiments }, () => run(random));
}

const share = (trials: Trial[], pick: (t: Trial) => boolean) => trials.filter(pick).length / trials.length;

describe('msprtLook', () => {
  it('computes Λ, the p-value and the interval by hand: 120/1000 vs 100/1000, τ = 0.02, α = 0.05', () => {
    // V = 0.12·0.88/1000 + 0.1·0.9/1000 = 1.956e−4; Λ = √(V/(V + τ²))·exp(τ²·0.02²/(2V(V + τ²)))
    const look = msprtLook(count(120, 1000), count(100, 1000));
    expect(look.counted).toBe(true);
    expect(look.difference).toBeCloseTo(0.02, 12);
    expect(look.likelihoodRatio).toBeCloseTo(1.1387717619451474, 10);
    expect(look.state.pValue).toBeCloseTo(0.8781390910957346, 10);
    expect(look.state.interval.lower).toBeCloseTo(-0.02548965641621748, 10);
    expect(look.state.interval.upper).toBeCloseTo(0.06548965641621748, 10);
    expect(look.reject).toBe(false);
  });

  it('does not count looks before the minimum sample, or while neither arm varies', () => {
    const early = msprtLook(count(40, 99), count(2, 99));
    expect(early).toMatchObject({ counted: false, likelihoodRatio: 1, reject: false, state: MSPRT_INITIAL_STATE });
    expect(msprtLook(count(0, 500), count(0, 500)).counted).toBe(false);
  });

  it('keeps the running p-value from rising and the running interval from widening', () => {
    const first = msprtLook(count(150, 1000), count(100, 1000));
    const second = msprtLook(count(152, 2000), count(150, 2000), first.state);
    expect(second.state.pValue).toBe(first.state.pValue);
    expect(second.state.interval.lower).toBeGreaterThanOrEqual(first.state.interval.lower);
    expect(second.state.interval.upper).toBeLessThanOrEqual(first.state.interval.upper);
    expect(second.state.looks).toBe(2);
    expect(second.reject).toBe(first.reject);
  });

  it('rejects when the arms clearly differ, and the interval then excludes 0', () => {
    const look = msprtLook(count(300, 2000), count(200, 2000));
    expect(look.reject).toBe(true);
    expect(look.state.pValue).toBeLessThan(0.05);
    expect(look.state.interval.lower).toBeGreaterThan(0);
  });

  it.each([
    ['alpha', { alpha: 0 }],
    ['alpha', { alpha: 1 }],
    ['mixingSd', { mixingSd: 0 }],
    ['mixingSd', { mixingSd: Number.NaN }],
  ])('refuses a bad %s', (_name, options) => {
    expect(() => msprtLook(count(1, 200), count(2, 200), MSPRT_INITIAL_STATE, options)).toThrow(RangeError);
  });

  describe('under H₀ with a look after every batch (2,000 seeded experiments each)', () => {
    it('keeps the false positive rate at or below α: p = 0.10, 20 looks of 250 per arm', () => {
      const trials = simulate(2017, 2000, (random) => runExperiment(random, 0.1, 0.1, 20, 250, true));
      expect(share(trials, (t) => t.rejected)).toBeLessThanOrEqual(0.05 + 0.01);
      // the same data read with a fixed-horizon test at every look: the inflation the mSPRT avoids
      expect(share(trials, (t) => t.naiveRejected)).toBeGreaterThan(0.15);
    });

    it('keeps it at a low base rate with small batches: p = 0.03, 40 looks of 100 per arm', () => {
      const trials = simulate(2022, 2000, (random) => runExperiment(random, 0.03, 0.03, 40, 100));
      expect(share(trials, (t) => t.rejected)).toBeLessThanOrEqual(0.05 + 0.01);
    });
  });

  describe('under H₁ (1,000 seeded experiments): 0.13 vs 0.10, 20 looks of 250 per arm', () => {
    let trials: Trial[] = [];
    beforeAll(() => {
      trials = simulate(2026, 1000, (random) => runExperiment(random, 0.13, 0.1, 20, 250));
    });

    it('detects the difference in most experiments, with the right sign', () => {
      expect(share(trials, (t) => t.rejected)).toBeGreaterThan(0.8);
      expect(trials.filter((t) => t.rejected).every((t) => t.sign === 1)).toBe(true);
    });

    it('keeps the true difference inside the running interval at every look in ≥ 1 − α of them', () => {
      expect(share(trials, (t) => t.alwaysCovered)).toBeGreaterThanOrEqual(0.95 - 0.01);
    });
  });
});
