import { regularizedBeta } from '../../../../subgraphs/common/math/incomplete-beta';

describe('regularizedBeta', () => {
  it.each([
    // reference values: scipy.special.betainc(a, b, x)
    [0.3, 2, 3, 0.34829999999999994],
    [0.9, 0.5, 5, 0.9999974294103009],
    [0.01, 10, 0.5, 1.770034965528571e-21],
    [0.5, 100, 120, 0.9117960627949818],
  ])('I_%d(%d, %d) = %d', (x, a, b, expected) => {
    expect(Math.abs(regularizedBeta(x, a, b) - expected) / expected).toBeLessThan(1e-10);
  });

  it('is the polynomial 1 − (1 − x)^b when a = 1, by hand', () => {
    // I_x(1, b) = 1 − (1 − x)^b: I_0.2(1, 3) = 1 − 0.8³ = 0.488
    expect(regularizedBeta(0.2, 1, 3)).toBeCloseTo(0.488, 14);
  });

  it('is 0 at x = 0 and 1 at x = 1', () => {
    expect(regularizedBeta(0, 2, 3)).toBe(0);
    expect(regularizedBeta(1, 2, 3)).toBe(1);
  });

  it.each([
    [-0.1, 1, 1],
    [1.1, 1, 1],
    [0.5, 0, 1],
    [0.5, 1, -1],
    [Number.NaN, 1, 1],
  ])('refuses x=%d, a=%d, b=%d', (x, a, b) => {
    expect(() => regularizedBeta(x, a, b)).toThrow(RangeError);
  });
});
