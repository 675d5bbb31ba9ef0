import { regularizedGammaP, regularizedGammaQ } from '../../../../subgraphs/common/math/incomplete-gamma';

describe('regularizedGammaP / regularizedGammaQ', () => {
  it.each([
    // reference values: scipy.special.gammainc(a, x), gammaincc(a, x)
    [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
    [1, 2, 0.8646647167633873, 0.1353352832366127],
    [2.5, 1, 0.15085496391539038, 0.8491450360846096],
    [10, 20, 0.9950045876916924, 0.0049954123083075785],
    [50, 40, 0.07033506665939494, 0.9296649333406051],
    [0.5, 30, 0.9999999999999906, 9.485737571073857e-15],
  ])('P(%d, %d) = %d and Q = %d', (a, x, p, q) => {
    expect(Math.abs(regularizedGammaP(a, x) - p) / p).toBeLessThan(1e-12);
    expect(Math.abs(regularizedGammaQ(a, x) - q) / q).toBeLessThan(1e-12);
  });

  it('is 0 and 1 at the ends of the range', () => {
    expect(regularizedGammaP(3, 0)).toBe(0);
    expect(regularizedGammaQ(3, 0)).toBe(1);
    expect(regularizedGammaP(3, Infinity)).toBe(1);
    expect(regularizedGammaQ(3, Infinity)).toBe(0);
  });

  it.each([
    [0, 1],
    [-1, 1],
    [1, -1],
    [Number.NaN, 1],
    [1, Number.NaN],
  ])('refuses a=%d, x=%d', (a, x) => {
    expect(() => regularizedGammaP(a, x)).toThrow(RangeError);
    expect(() => regularizedGammaQ(a, x)).toThrow(RangeError);
  });
});
