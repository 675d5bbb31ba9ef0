import { createSeededRandom, sampleBeta, sampleGamma } from '../../../../../subgraphs/risk/domain/lifetime/simulate';

const moments = (xs: number[]) => {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  return { mean, variance: xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1) };
};

describe('simulation primitives', () => {
  it('gives the same numbers for the same seed, and uniform ones', () => {
    const a = createSeededRandom(42);
    const b = createSeededRandom(42);
    const xs = Array.from({ length: 20000 }, () => a());
    expect(Array.from({ length: 20000 }, () => b())).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(moments(xs).mean).toBeCloseTo(0.5, 2);
    expect(createSeededRandom(43)()).not.toBe(xs[0]);
  });

  it.each([
    [0.25, 4],
    [2.5, 0.5],
    [6, 15],
  ])('Gamma(%d, rate %d) has mean shape/rate and variance shape/rate²', (shape, rate) => {
    const random = createSeededRandom(7);
    const { mean, variance } = moments(Array.from({ length: 50000 }, () => sampleGamma(random, shape, rate)));
    expect(Math.abs(mean / (shape / rate) - 1)).toBeLessThan(0.03);
    expect(Math.abs(variance / (shape / rate ** 2) - 1)).toBeLessThan(0.08);
  });

  it('Beta(a, b) has mean a/(a + b)', () => {
    const random = createSeededRandom(8);
    const { mean } = moments(Array.from({ length: 50000 }, () => sampleBeta(random, 0.8, 2.5)));
    expect(mean).toBeCloseTo(0.8 / 3.3, 2);
  });

  it('refuses a non-positive shape or rate', () => {
    expect(() => sampleGamma(createSeededRandom(1), 0, 1)).toThrow(RangeError);
    expect(() => sampleGamma(createSeededRandom(1), 1, -1)).toThrow(RangeError);
  });
});
