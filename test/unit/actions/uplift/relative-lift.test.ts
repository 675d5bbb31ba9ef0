import { createSeededRandom } from '../../../../subgraphs/common/math/random';
import { rateRatioInterval } from '../../../../subgraphs/actions/domain/uplift/relative-lift';
import { drawBinomial } from './simulate';

const count = (successes: number, trials: number) => ({ successes, trials });

describe('rateRatioInterval', () => {
  it('computes the Katz log interval by hand: 56/70 ÷ 48/80', () => {
    // ln(0.8/0.6) ± 1.959964·√(1/56 − 1/70 + 1/48 − 1/80) = 0.287682 ± 0.209262
    const result = rateRatioInterval(count(56, 70), count(48, 80));
    expect(result?.ratio).toBeCloseTo(4 / 3, 12);
    expect(result?.interval.lower).toBeCloseTo(1.076626422763193, 9);
    expect(result?.interval.upper).toBeCloseTo(1.651248511266387, 9);
  });

  it('is symmetric on the log scale around the ratio', () => {
    const result = rateRatioInterval(count(30, 400), count(45, 410), 0.9);
    expect(result).not.toBeNull();
    const { ratio, interval } = result!;
    expect(Math.log(interval.upper) - Math.log(ratio)).toBeCloseTo(Math.log(ratio) - Math.log(interval.lower), 12);
  });

  it('is null when an arm has no outcomes', () => {
    expect(rateRatioInterval(count(0, 50), count(5, 50))).toBeNull();
    expect(rateRatioInterval(count(5, 50), count(0, 50))).toBeNull();
  });

  it('covers the true ratio 93–97 % of the time (2,000 seeded experiments of 500 per arm)', () => {
    const random = createSeededRandom(1978);
    let covered = 0;
    let counted = 0;
    const truth = 0.12 / 0.15;
    for (let i = 0; i < 2000; i++) {
      const result = rateRatioInterval(count(drawBinomial(random, 500, 0.12), 500), count(drawBinomial(random, 500, 0.15), 500));
      if (result === null) continue;
      counted++;
      if (result.interval.lower <= truth && truth <= result.interval.upper) covered++;
    }
    expect(counted).toBe(2000);
    expect(covered / counted).toBeGreaterThanOrEqual(0.93);
    expect(covered / counted).toBeLessThanOrEqual(0.97);
  });
});
