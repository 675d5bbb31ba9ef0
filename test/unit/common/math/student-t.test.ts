import { normalQuantile } from '../../../../subgraphs/common/math/normal';
import { studentTCdf, studentTQuantile, studentTSf } from '../../../../subgraphs/common/math/student-t';

describe('studentTQuantile', () => {
  it.each([
    // printed t tables (e.g. Abramowitz & Stegun, table 26.10), two-sided 95 %
    [0.975, 10, 2.228139],
    [0.975, 30, 2.042272],
    [0.975, 1, 12.706205],
  ])('t(%d, %d) = %d as in the tables', (p, df, expected) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(expected, 6);
  });

  it.each([
    // scipy.stats.t.ppf(p, df), fractional df as Welch's test produces
    [0.995, 2.5, 7.163728138948783],
    [0.95, 7.3, 1.8829300179564308],
    [0.999999, 4, 41.5778541501515],
  ])('t(%d, %d) = %d (scipy)', (p, df, expected) => {
    expect(Math.abs(studentTQuantile(p, df) - expected) / expected).toBeLessThan(1e-9);
  });

  it('is odd about 0.5, and tends to the normal quantile as df grows', () => {
    expect(studentTQuantile(0.5, 3)).toBe(0);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.228139, 6);
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(normalQuantile(0.975), 5);
  });

  it.each([[0, 5], [1, 5], [0.5, 0], [0.9, -1]])('refuses p=%d, df=%d', (p, df) => {
    expect(() => studentTQuantile(p, df)).toThrow(RangeError);
  });
});

describe('studentTSf', () => {
  it.each([
    // scipy.stats.t.sf(t, df)
    [2, 5, 0.050969739414929174],
    [0.5, 1, 0.35241638234956674],
    [10, 3.7, 0.00041198342091232115],
    [40, 30, 6.863022597203209e-28],
  ])('P(T > %d | df = %d) = %d', (t, df, expected) => {
    expect(Math.abs(studentTSf(t, df) - expected) / expected).toBeLessThan(1e-9);
  });

  it('is the Cauchy tail at df = 1, by hand: P(T > 1) = 1/2 − atan(1)/π = 0.25', () => {
    expect(studentTSf(1, 1)).toBeCloseTo(0.25, 14);
    expect(studentTCdf(-1, 1)).toBeCloseTo(0.25, 14);
  });

  it('inverts the quantile', () => {
    for (const [p, df] of [[0.9, 3], [0.999, 12.5], [0.6, 100]]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
  });
});
