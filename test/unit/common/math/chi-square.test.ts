import { chiSquareSf } from '../../../../subgraphs/common/math/chi-square';

describe('chiSquareSf', () => {
  it.each([
    // reference values: scipy.stats.chi2.sf(x, df)
    [3.841458820694124, 1, 0.04999999999999989],
    [7.8147279032511765, 3, 0.05000000000000003],
    [9.487729036781154, 4, 0.05000000000000006],
    [15.384615384615385, 1, 8.769942375590228e-5],
    [0.2488, 1, 0.6179213045696594],
    [1, 3, 0.8012519569012009],
    [0.5, 2, 0.7788007830714049],
    [30, 1, 4.3204630578274955e-8],
    [50, 4, 3.610865404890647e-10],
    [100, 2, 1.9287498479639183e-22],
  ])('P(χ² ≥ %d | df = %d) = %d', (x, df, expected) => {
    expect(Math.abs(chiSquareSf(x, df) - expected) / expected).toBeLessThan(1e-10);
  });

  it('is 1 at and below 0', () => {
    expect(chiSquareSf(0, 2)).toBe(1);
    expect(chiSquareSf(-1, 2)).toBe(1);
  });

  it.each([
    [1, 0],
    [1, -2],
    [Number.NaN, 1],
  ])('refuses x=%d, df=%d', (x, df) => {
    expect(() => chiSquareSf(x, df)).toThrow(RangeError);
  });
});
