import { erfc, normalCdf, normalQuantile, normalSf } from '../../../../subgraphs/common/math/normal';

describe('normalCdf / normalSf', () => {
  it.each([
    // reference values: scipy.stats.norm.cdf(z)
    [-8, 6.22096057427174e-16],
    [-3, 0.0013498980316300933],
    [-1.96, 0.024997895148220435],
    [0, 0.5],
    [0.5, 0.6914624612740131],
    [1.96, 0.9750021048517795],
    [5, 0.9999997133484281],
  ])('Φ(%d) = %d', (z, expected) => {
    expect(Math.abs(normalCdf(z) - expected) / expected).toBeLessThan(1e-12);
    expect(normalSf(-z)).toBeCloseTo(expected, 15);
  });

  it('keeps the far upper tail instead of rounding it to 0', () => {
    expect(Math.abs(normalSf(8) - 6.22096057427174e-16) / 6.22096057427174e-16).toBeLessThan(1e-12);
  });

  it('erfc(0) = 1, erfc(−x) = 2 − erfc(x)', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(-0.7)).toBeCloseTo(2 - erfc(0.7), 15);
  });
});

describe('normalQuantile', () => {
  it.each([
    // reference values: scipy.stats.norm.ppf(p)
    [1e-10, -6.361340902404056],
    [0.001, -3.090232306167813],
    [0.025, -1.9599639845400545],
    [0.5, 0],
    [0.9, 1.2815515655446004],
    [0.975, 1.959963984540054],
    [0.995, 2.5758293035489004],
    [1 - 1e-9, 5.997807019601637],
  ])('Φ⁻¹(%d) = %d', (p, expected) => {
    expect(normalQuantile(p)).toBeCloseTo(expected, 12);
  });

  it('inverts normalCdf', () => {
    for (const z of [-5, -2.2, -0.3, 0.01, 1.1, 3.7]) expect(normalQuantile(normalCdf(z))).toBeCloseTo(z, 10);
  });

  it('is infinite at 0 and 1 and refuses values outside [0, 1]', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(() => normalQuantile(1.5)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(RangeError);
  });
});
