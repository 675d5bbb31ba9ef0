import { welchTest, type SampleMoments } from '../../../../subgraphs/actions/domain/uplift/welch';
import { createSeededRandom, type Random } from '../../../../subgraphs/common/math/random';

const moments = (xs: readonly number[]): SampleMoments => ({ n: xs.length, sum: xs.reduce((s, x) => s + x, 0), sumSquares: xs.reduce((s, x) => s + x * x, 0) });

/** A log-normal draw exp(mu + sigma·Z), Z by Box–Muller: skewed like revenue per customer. */
function drawLogNormal(random: Random, mu: number, sigma: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.exp(mu + sigma * z);
}

describe('welchTest', () => {
  // revenue per customer of 10 treated and 9 control customers (zeros: bought nothing)
  const treated = [12, 0, 0, 35.5, 8, 0, 20, 0, 0, 41];
  const control = [0, 5, 0, 0, 10, 0, 0, 3, 0];
  // by hand: Σa = 116.5, Σa² = 3549.25 → mean 11.65, s²_a = (3549.25 − 116.5²/10)/9 = 243.5583;
  // Σb = 18, Σb² = 134 → mean 2, s²_b = (134 − 18²/9)/8 = 12.25. se² = 243.5583/10 + 12.25/9 = 25.71694,
  // se = 5.071188, t = 9.65/5.071188 = 1.902907, df = 25.71694²/((24.35583)²/9 + (1.361111)²/8) = 9.998896.
  // scipy.stats.ttest_ind(a, b, equal_var=False): statistic 1.9029072904980842, pvalue 0.0862113186191415,
  // df 9.998896163939499, confidence_interval(0.95) = (-1.649479371403844, 20.949479371403847)
  const result = welchTest(moments(treated), moments(control), 0.95);

  it('gives the difference in means with a Welch–Satterthwaite t interval', () => {
    expect(result.meanA).toBeCloseTo(11.65, 12);
    expect(result.meanB).toBeCloseTo(2, 12);
    expect(result.difference).toBeCloseTo(9.65, 12);
    expect(result.standardError).toBeCloseTo(5.071188, 5);
    expect(result.degreesOfFreedom).toBeCloseTo(9.998896163939499, 9);
    expect(result.lower).toBeCloseTo(-1.649479371403844, 8);
    expect(result.upper).toBeCloseTo(20.949479371403847, 8);
  });

  it('gives the t statistic and the two-sided p-value of scipy’s ttest_ind(equal_var=False)', () => {
    expect(result.t).toBeCloseTo(1.9029072904980842, 10);
    expect(result.pValue).toBeCloseTo(0.0862113186191415, 10);
  });

  it('is antisymmetric in its arms', () => {
    const swapped = welchTest(moments(control), moments(treated), 0.95);
    expect(swapped.difference).toBeCloseTo(-9.65, 12);
    expect(swapped.lower).toBeCloseTo(-result.upper, 10);
    expect(swapped.pValue).toBeCloseTo(result.pValue, 12);
  });

  it('refuses arms of fewer than two customers, impossible moments, and two constant arms', () => {
    expect(() => welchTest({ n: 1, sum: 5, sumSquares: 25 }, moments(control), 0.95)).toThrow(RangeError);
    expect(() => welchTest({ n: 5, sum: 5, sumSquares: -1 }, moments(control), 0.95)).toThrow(RangeError);
    expect(() => welchTest(moments([3, 3, 3]), moments([1, 1]), 0.95)).toThrow(/zero variance/);
    expect(() => welchTest(moments(treated), moments(control), 1)).toThrow(RangeError);
  });

  it('covers the true difference in mean log-normal revenue 92–98 % of the time (400 seeded experiments)', () => {
    // treated: 150 customers, revenue LN(3.1, 0.8); control: 80, LN(3.0, 1.0). E[LN(μ, σ)] = e^{μ + σ²/2}
    const truth = Math.exp(3.1 + 0.32) - Math.exp(3.0 + 0.5);
    const random = createSeededRandom(2026);
    let covered = 0;
    for (let i = 0; i < 400; i++) {
      const a = Array.from({ length: 150 }, () => drawLogNormal(random, 3.1, 0.8));
      const b = Array.from({ length: 80 }, () => drawLogNormal(random, 3.0, 1.0));
      const r = welchTest(moments(a), moments(b), 0.95);
      if (r.lower <= truth && truth <= r.upper) covered++;
    }
    expect(covered / 400).toBeGreaterThanOrEqual(0.92);
    expect(covered / 400).toBeLessThanOrEqual(0.98);
  });
});
