import {
  expectedAverageSpend,
  fitGammaGamma,
  gammaGammaLogLikelihood,
  type GammaGammaFit,
  type GammaGammaParams,
  type SpendRow,
} from '../../../../../subgraphs/risk/domain/lifetime/gamma-gamma';
import { createSeededRandom, simulateGammaGamma } from '../../../../../subgraphs/risk/domain/lifetime/simulate';
import { readSummary } from './cdnow';

/** Fader, Hardie & Lee (2005), "RFM and CLV", CDNOW repeat buyers; as lifetimes reports them. */
const PUBLISHED: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };

describe('Gamma-Gamma on CDNOW (published estimates)', () => {
  it('reproduces p, q, γ and the log-likelihood on the 946 repeat buyers', () => {
    const rows = readSummary().map((r) => ({ x: r.x, monetary: r.zbar }));
    const fit = fitGammaGamma(rows);
    expect(fit.customers).toBe(946);
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params.p - PUBLISHED.p)).toBeLessThan(0.01);
    expect(Math.abs(fit.params.q - PUBLISHED.q)).toBeLessThan(0.01);
    expect(Math.abs(fit.params.gamma - PUBLISHED.gamma)).toBeLessThan(0.01);
    expect(Math.abs(fit.logLikelihood - -4055.92)).toBeLessThan(0.05);
    expect(gammaGammaLogLikelihood(fit.params, rows)).toBeCloseTo(fit.logLikelihood, 8);
    expect(JSON.parse(JSON.stringify(fit))).toEqual(fit);
  });
});

describe('Gamma-Gamma on simulated customers', () => {
  const truth: GammaGammaParams = { p: 6, q: 4, gamma: 15 };
  let rows: SpendRow[];
  let fit: GammaGammaFit;
  beforeAll(() => {
    const random = createSeededRandom(1);
    // 2,000 repeat buyers with 1–10 repeat purchases, and 500 without (ignored by the fit)
    const counts = [...Array.from({ length: 2000 }, () => 1 + Math.floor(random() * 10)), ...new Array<number>(500).fill(0)];
    rows = simulateGammaGamma(truth, counts, random);
    fit = fitGammaGamma(rows);
  });

  it('recovers the parameters that generated the data', () => {
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(2000);
    const mean = (g: GammaGammaParams) => (g.p * g.gamma) / (g.q - 1);
    // p and γ trade off; q and the population mean spend pγ/(q − 1) are well pinned
    expect(Math.abs(mean(fit.params) / mean(truth) - 1)).toBeLessThan(0.05);
    expect(Math.abs(fit.params.q / truth.q - 1)).toBeLessThan(0.15);
    expect(Math.abs(fit.params.p / truth.p - 1)).toBeLessThan(0.4);
    expect(Math.abs(fit.params.gamma / truth.gamma - 1)).toBeLessThan(0.4);
  });

  it('beats the true parameters by no more than sampling noise (likelihood-ratio statistic < χ²₃ 0.999 = 16.27)', () => {
    const gain = fit.logLikelihood - gammaGammaLogLikelihood(truth, rows);
    expect(gain).toBeGreaterThanOrEqual(0);
    expect(2 * gain).toBeLessThan(16.27);
  });
});

describe('expectedAverageSpend', () => {
  it('is the population mean pγ/(q − 1) with no repeat purchase', () => {
    expect(expectedAverageSpend(PUBLISHED, { x: 0, monetary: 0 })).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
  });

  it('shrinks the observed mean towards the population mean, less so the more purchases it rests on', () => {
    const population = expectedAverageSpend(PUBLISHED, { x: 0, monetary: 0 });
    const one = expectedAverageSpend(PUBLISHED, { x: 1, monetary: 100 });
    const twenty = expectedAverageSpend(PUBLISHED, { x: 20, monetary: 100 });
    expect(one).toBeCloseTo(((15.44 + 100) * 6.25) / (6.25 + 3.74 - 1), 10);
    expect(one).toBeGreaterThan(population);
    expect(one).toBeLessThan(twenty);
    expect(twenty).toBeLessThan(100);
  });

  it('refuses q <= 1 (infinite population mean)', () => {
    expect(() => expectedAverageSpend({ ...PUBLISHED, q: 1 }, { x: 1, monetary: 10 })).toThrow(/q must be > 1/);
  });
});

describe('Gamma-Gamma input validation', () => {
  it.each([
    [{ x: -1, monetary: 10 }],
    [{ x: 0.5, monetary: 10 }],
    [{ x: 2, monetary: 0 }],
    [{ x: 2, monetary: -5 }],
    [{ x: 2, monetary: Number.NaN }],
    [{ x: 0, monetary: Number.POSITIVE_INFINITY }],
  ])('refuses %j', (row) => {
    expect(() => gammaGammaLogLikelihood(PUBLISHED, [row])).toThrow(RangeError);
  });

  it('refuses bad parameters and a fit with no repeat buyers', () => {
    expect(() => gammaGammaLogLikelihood({ ...PUBLISHED, p: 0 }, [])).toThrow(/parameter p/);
    expect(() => gammaGammaLogLikelihood({ ...PUBLISHED, gamma: Number.NaN }, [])).toThrow(/parameter gamma/);
    expect(() => fitGammaGamma([{ x: 0, monetary: 0 }])).toThrow(/no customers with repeat purchases/);
  });

  it('ignores customers without repeat purchases in the likelihood', () => {
    const rows = [{ x: 3, monetary: 20 }];
    expect(gammaGammaLogLikelihood(PUBLISHED, [...rows, { x: 0, monetary: 0 }])).toBe(gammaGammaLogLikelihood(PUBLISHED, rows));
  });
});
