import { poissonCdf } from '../../../../subgraphs/common/math/poisson';

describe('poissonCdf', () => {
  it.each([
    // reference values: scipy.stats.poisson.cdf(k, mu)
    [0, 1, 0.36787944117144233],
    [2, 3, 0.42319008112684353],
    [5, 5, 0.6159606548330632],
    [0, 28, 6.914400106940203e-13],
    [10, 10, 0.5830397501929852],
  ])('P(X ≤ %d | μ = %d) = %d', (k, mean, expected) => {
    expect(poissonCdf(k, mean)).toBeCloseTo(expected, 12);
    expect(Math.abs(poissonCdf(k, mean) - expected) / expected).toBeLessThan(1e-9);
  });

  it('stays finite for large means and counts, and is 1 for a zero mean', () => {
    const p = poissonCdf(900, 1000);
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(0.01);
    expect(poissonCdf(0, 0)).toBe(1);
  });

  it.each([
    [-1, 1],
    [1.5, 1],
    [1, -1],
    [1, Number.NaN],
  ])('refuses k=%d, mean=%d', (k, mean) => {
    expect(() => poissonCdf(k, mean)).toThrow(RangeError);
  });
});
