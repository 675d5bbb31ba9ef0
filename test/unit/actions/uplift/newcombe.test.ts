import { createSeededRandom } from '../../../../subgraphs/common/math/random';
import { newcombeInterval } from '../../../../subgraphs/actions/domain/uplift/newcombe';
import { drawBinomial } from './simulate';

const count = (successes: number, trials: number) => ({ successes, trials });

describe('newcombeInterval', () => {
  it.each([
    // Newcombe 1998, "Interval estimation for the difference between independent proportions",
    // Stat Med 17:873–890, Table II, method 10, examples (a)–(h)
    [56, 70, 48, 80, 0.0524, 0.3339],
    [9, 10, 3, 10, 0.1705, 0.809],
    [6, 7, 2, 7, 0.0582, 0.8062],
    [5, 56, 0, 29, -0.0381, 0.1926],
    [0, 10, 0, 20, -0.1611, 0.2775],
    [0, 10, 0, 10, -0.2775, 0.2775],
    [10, 10, 0, 20, 0.6791, 1],
    [10, 10, 0, 10, 0.6075, 1],
  ])('%d/%d − %d/%d → [%d, %d]', (x1, n1, x2, n2, lower, upper) => {
    const interval = newcombeInterval(count(x1, n1), count(x2, n2));
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  it('mirrors when the arms swap', () => {
    const ab = newcombeInterval(count(56, 70), count(48, 80));
    const ba = newcombeInterval(count(48, 80), count(56, 70));
    expect(ba.lower).toBeCloseTo(-ab.upper, 12);
    expect(ba.upper).toBeCloseTo(-ab.lower, 12);
  });

  it('refuses impossible counts', () => {
    expect(() => newcombeInterval(count(5, 4), count(1, 4))).toThrow(RangeError);
  });

  it.each([
    // [treated n, control n, treated rate, control rate]
    [500, 500, 0.12, 0.15],
    [60, 60, 0.1, 0.25],
    [2000, 200, 0.04, 0.05],
  ])(
    'covers the true difference 93–97 %% of the time (2,000 seeded experiments, n = %d/%d, p = %d/%d)',
    (n1, n2, p1, p2) => {
      const random = createSeededRandom(1998);
      let covered = 0;
      for (let i = 0; i < 2000; i++) {
        const { lower, upper } = newcombeInterval(
          count(drawBinomial(random, n1, p1), n1),
          count(drawBinomial(random, n2, p2), n2),
        );
        if (lower <= p1 - p2 && p1 - p2 <= upper) covered++;
      }
      expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
      expect(covered / 2000).toBeLessThanOrEqual(0.97);
    },
  );
});
