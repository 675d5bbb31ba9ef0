import { createSeededRandom } from '../../../../subgraphs/common/math/random';
import { criticalZ } from '../../../../subgraphs/actions/domain/uplift/confidence';
import { wilsonInterval } from '../../../../subgraphs/actions/domain/uplift/wilson';
import { drawBinomial } from './simulate';

describe('wilsonInterval', () => {
  it.each([
    // Newcombe 1998, "Two-sided confidence intervals for the single proportion", Table I, method 3
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])('%d/%d → [%d, %d] at 95 %%', (x, n, lower, upper) => {
    const interval = wilsonInterval(x, n);
    expect(interval.lower).toBeCloseTo(lower, 4);
    expect(interval.upper).toBeCloseTo(upper, 4);
  });

  it('narrows at a lower confidence level and widens at a higher one', () => {
    const at90 = wilsonInterval(81, 263, 0.9);
    const at95 = wilsonInterval(81, 263);
    const at99 = wilsonInterval(81, 263, 0.99);
    expect(at90.upper - at90.lower).toBeLessThan(at95.upper - at95.lower);
    expect(at99.upper - at99.lower).toBeGreaterThan(at95.upper - at95.lower);
  });

  it('stays inside [0, 1] and contains the estimate', () => {
    for (const [x, n] of [[0, 1], [1, 1], [3, 7], [999, 1000], [1, 100000]]) {
      const { lower, upper } = wilsonInterval(x, n);
      expect(lower).toBeGreaterThanOrEqual(0);
      expect(upper).toBeLessThanOrEqual(1);
      expect(lower).toBeLessThanOrEqual(x / n);
      expect(upper).toBeGreaterThanOrEqual(x / n);
    }
  });

  it('covers the true rate about 95 % of the time (2,000 seeded samples of 200 at p = 0.08)', () => {
    const random = createSeededRandom(13);
    let covered = 0;
    for (let i = 0; i < 2000; i++) {
      const { lower, upper } = wilsonInterval(drawBinomial(random, 200, 0.08), 200);
      if (lower <= 0.08 && 0.08 <= upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });

  it.each([
    [-1, 10],
    [11, 10],
    [1.5, 10],
    [0, 0],
  ])('refuses %d/%d', (x, n) => {
    expect(() => wilsonInterval(x, n)).toThrow(RangeError);
  });
});

describe('criticalZ', () => {
  it('is 1.959964 at 95 % and 2.575829 at 99 %', () => {
    expect(criticalZ()).toBeCloseTo(1.959963984540054, 12);
    expect(criticalZ(0.99)).toBeCloseTo(2.5758293035489004, 12);
  });

  it.each([0, 1, 95, Number.NaN])('refuses confidence %d', (confidence) => {
    expect(() => criticalZ(confidence)).toThrow(RangeError);
  });
});
