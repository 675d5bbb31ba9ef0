import { betaln, gammaln, hyp2f1, logAddExp, logSumExp } from '../../../../subgraphs/common/math/special';

describe('gammaln / betaln', () => {
  it.each([
    [1, 0],
    [5, Math.log(24)],
    [0.5, Math.log(Math.sqrt(Math.PI))],
  ])('ln Γ(%d) = %d', (x, expected) => {
    expect(gammaln(x)).toBeCloseTo(expected, 10);
  });

  it('stays finite beyond the range of Γ in doubles (ln 199! at 200)', () => {
    let logFactorial = 0;
    for (let k = 2; k < 200; k++) logFactorial += Math.log(k);
    expect(gammaln(200)).toBeCloseTo(logFactorial, 9);
  });

  it('ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b)', () => {
    expect(betaln(2, 3)).toBeCloseTo(Math.log(1 / 12), 12);
    expect(betaln(0.7, 4.2)).toBeCloseTo(gammaln(0.7) + gammaln(4.2) - gammaln(4.9), 12);
  });
});

describe('hyp2f1', () => {
  it('₂F₁(1, 1; 2; z) = −ln(1 − z)/z', () => {
    for (const z of [0.1, 0.5, 0.9]) expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
  });

  it('₂F₁(a, b; b; z) = (1 − z)^−a', () => {
    expect(hyp2f1(2.3, 1.7, 1.7, 0.4)).toBeCloseTo(Math.pow(0.6, -2.3), 10);
  });

  it('is 1 at z = 0', () => {
    expect(hyp2f1(3.2, 4.1, 2.5, 0)).toBe(1);
  });
});

describe('logSumExp', () => {
  it('equals ln Σ exp for ordinary values', () => {
    expect(logSumExp([Math.log(1), Math.log(2), Math.log(3)])).toBeCloseTo(Math.log(6), 14);
  });

  it('stays finite where exp overflows or underflows', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.log(2), 12);
    expect(logSumExp([-1000, -1000 + Math.log(3)])).toBeCloseTo(-1000 + Math.log(4), 12);
  });

  it('is −Infinity for no terms or all −Infinity, and ignores −Infinity terms', () => {
    expect(logSumExp([])).toBe(-Infinity);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([-Infinity, 2])).toBe(2);
  });
});

describe('logAddExp', () => {
  it('agrees with logSumExp of two terms, including at the extremes', () => {
    for (const [a, b] of [
      [0, 0],
      [Math.log(2), Math.log(5)],
      [1000, 998],
      [-1000, 3],
      [-Infinity, 1.5],
    ]) {
      expect(logAddExp(a, b)).toBeCloseTo(logSumExp([a, b]), 12);
      expect(logAddExp(b, a)).toBe(logAddExp(a, b));
    }
    expect(logAddExp(-Infinity, -Infinity)).toBe(-Infinity);
    expect(logAddExp(Infinity, 1)).toBe(Infinity);
  });
});
