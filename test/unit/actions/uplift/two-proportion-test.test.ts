import { twoProportionPValue } from '../../../../subgraphs/actions/domain/uplift/two-proportion-test';

const count = (successes: number, trials: number) => ({ successes, trials });

describe('twoProportionPValue', () => {
  it.each([
    // reference values: scipy.stats.chi2_contingency(table, correction=False) p-value, which equals
    // the pooled two-sided z-test; e.g. 56/70 vs 48/80: z = 0.2/√(0.69333·0.30667·(1/70 + 1/80)) = 2.650
    [56, 70, 48, 80, 0.008045081368196585],
    [120, 1000, 160, 1000, 0.009946136752047788],
  ])('%d/%d vs %d/%d → p = %d', (x1, n1, x2, n2, expected) => {
    expect(twoProportionPValue(count(x1, n1), count(x2, n2))).toBeCloseTo(expected, 10);
    expect(twoProportionPValue(count(x2, n2), count(x1, n1))).toBeCloseTo(expected, 10);
  });

  it('is 1 for equal rates and when neither arm varies', () => {
    expect(twoProportionPValue(count(10, 100), count(20, 200))).toBeCloseTo(1, 12);
    expect(twoProportionPValue(count(0, 100), count(0, 50))).toBe(1);
    expect(twoProportionPValue(count(100, 100), count(50, 50))).toBe(1);
  });

  it('keeps tiny p-values instead of rounding them to 0', () => {
    const p = twoProportionPValue(count(500, 1000), count(300, 1000));
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-15);
  });
});
