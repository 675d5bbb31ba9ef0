import {
  bgNbdLogLikelihood,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgNbd,
  probabilityAlive,
  type BgNbdFit,
  type BgNbdParams,
  type Rfm,
} from '../../../../../subgraphs/risk/domain/lifetime/bg-nbd';
import { createSeededRandom, simulateBgNbd } from '../../../../../subgraphs/risk/domain/lifetime/simulate';
import { readSummary, type SummaryRow } from './cdnow';

/** Fader, Hardie & Lee (2005), CDNOW, 39-week calibration, weeks. */
const PUBLISHED: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe('BG/NBD on CDNOW (published estimates)', () => {
  let rows: SummaryRow[];
  beforeAll(() => {
    rows = readSummary();
  });

  it('reproduces r, α, a, b and the log-likelihood of Fader, Hardie & Lee (2005)', () => {
    expect(rows).toHaveLength(2357);
    const fit = fitBgNbd(rows);
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params.r - PUBLISHED.r)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.alpha - PUBLISHED.alpha)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.a - PUBLISHED.a)).toBeLessThan(0.005);
    expect(Math.abs(fit.params.b - PUBLISHED.b)).toBeLessThan(0.005);
    expect(Math.abs(fit.logLikelihood - -9582.43)).toBeLessThan(0.05);
    expect(bgNbdLogLikelihood(fit.params, rows)).toBeCloseTo(fit.logLikelihood, 8);
    expect(JSON.parse(JSON.stringify(fit))).toEqual(fit);
  });

  it('gets there from the all-ones start alone (plain BFGS stalls at −9600.18 from it; Nelder–Mead walks it on)', () => {
    const fit = fitBgNbd(rows, { starts: [{ r: 1, alpha: 1, a: 1, b: 1 }] });
    expect(Math.abs(fit.logLikelihood - -9582.43)).toBeLessThan(0.05);
  });
});

describe('BG/NBD on simulated customers', () => {
  // 5,000 customers with first purchases spread over 12 weeks of a 39-week window, as in CDNOW
  const truth: BgNbdParams = { r: 0.25, alpha: 4, a: 0.8, b: 2.5 };
  let rfms: Rfm[];
  let fit: BgNbdFit;
  beforeAll(() => {
    const random = createSeededRandom(1);
    rfms = simulateBgNbd(truth, Array.from({ length: 5000 }, () => 27 + 12 * random()), random);
    fit = fitBgNbd(rfms);
  });

  it('recovers the parameters that generated the data', () => {
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.params.r / truth.r - 1)).toBeLessThan(0.15);
    expect(Math.abs(fit.params.alpha / truth.alpha - 1)).toBeLessThan(0.15);
    // a and b trade off along a ridge; their mean dropout probability a/(a + b) is well pinned
    expect(Math.abs(fit.params.a / (fit.params.a + fit.params.b) / (truth.a / (truth.a + truth.b)) - 1)).toBeLessThan(0.1);
    expect(Math.abs(fit.params.a / truth.a - 1)).toBeLessThan(0.4);
    expect(Math.abs(fit.params.b / truth.b - 1)).toBeLessThan(0.4);
  });

  it('beats the true parameters by no more than sampling noise (likelihood-ratio statistic < χ²₄ 0.999 = 18.47)', () => {
    const gain = fit.logLikelihood - bgNbdLogLikelihood(truth, rfms);
    expect(gain).toBeGreaterThanOrEqual(0);
    expect(2 * gain).toBeLessThan(18.47);
  });

  it('E[X(t)] matches the mean repeat count of simulated customers of age t', () => {
    const sim = simulateBgNbd(truth, new Array<number>(40000).fill(26), createSeededRandom(2));
    const mean = sim.reduce((s, f) => s + f.x, 0) / sim.length;
    expect(Math.abs(mean / expectedPurchasesNewCustomer(truth, 26) - 1)).toBeLessThan(0.03);
  });
});

describe('BG/NBD predictions', () => {
  const customer1 = { x: 2, tx: 30.43, T: 38.86 };

  it('E[Y(39) | x = 2, tx = 30.43, T = 38.86] = 1.226 at the published parameters', () => {
    expect(Math.abs(expectedPurchases(PUBLISHED, 39, customer1) - 1.226)).toBeLessThan(0.001);
  });

  it('P(alive) is 1 with no repeat purchase, and falls the longer a buyer has been silent', () => {
    expect(probabilityAlive(PUBLISHED, { x: 0, tx: 0, T: 38.86 })).toBe(1);
    const recent = probabilityAlive(PUBLISHED, { x: 5, tx: 38, T: 38.86 });
    const lapsed = probabilityAlive(PUBLISHED, { x: 5, tx: 5, T: 38.86 });
    expect(recent).toBeGreaterThan(lapsed);
    expect(recent).toBeLessThan(1);
    expect(lapsed).toBeGreaterThan(0);
    // the closed form, 1 / (1 + a/(b + x − 1) · ((α + T)/(α + tx))^{r+x})
    const { r, alpha, a, b } = PUBLISHED;
    expect(lapsed).toBeCloseTo(1 / (1 + (a / (b + 4)) * ((alpha + 38.86) / (alpha + 5)) ** (r + 5)), 12);
  });

  it('P(alive) stays a small positive number for a frequent buyer gone for years', () => {
    const p = probabilityAlive(PUBLISHED, { x: 300, tx: 10, T: 500 });
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(1e-100);
  });

  it('E[X(t)] is 0 at t = 0, grows with t, and equals E[Y(t)] of a customer just acquired', () => {
    expect(expectedPurchasesNewCustomer(PUBLISHED, 0)).toBe(0);
    const values = [1, 10, 39, 78, 200].map((t) => expectedPurchasesNewCustomer(PUBLISHED, t));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(expectedPurchasesNewCustomer(PUBLISHED, 39)).toBeCloseTo(expectedPurchases(PUBLISHED, 39, { x: 0, tx: 0, T: 0 }), 10);
    // early on, purchases arrive at the mean rate r/α (dropout needs a purchase first)
    expect(expectedPurchasesNewCustomer(PUBLISHED, 0.01) / 0.01).toBeCloseTo(PUBLISHED.r / PUBLISHED.alpha, 3);
  });

  it('E[Y(t)] stays finite for heavy buyers, where ₂F₁ overflows and its Euler transform takes over', () => {
    const heavy = { x: 500, tx: 38.5, T: 38.86 };
    const { r, alpha } = PUBLISHED;
    // while alive, the posterior mean rate is (r + x)/(α + T); dropout only lowers the count
    const ceiling = probabilityAlive(PUBLISHED, heavy) * ((r + heavy.x) / (alpha + heavy.T));
    let previous = 0;
    for (const t of [100, 200, 500, 5000]) {
      const e = expectedPurchases(PUBLISHED, t, heavy);
      expect(Number.isFinite(e)).toBe(true);
      expect(e).toBeGreaterThan(previous);
      expect(e).toBeLessThan(ceiling * t);
      previous = e;
    }
    // over a short horizon, the count is the ceiling rate × t
    expect(expectedPurchases(PUBLISHED, 0.01, heavy) / 0.01 / ceiling).toBeCloseTo(1, 3);
  });

  it('is continuous through a = 1, where the formula is 0/0', () => {
    const at = (a: number) => expectedPurchases({ ...PUBLISHED, a }, 39, customer1);
    expect(at(1)).toBeCloseTo((at(0.999) + at(1.001)) / 2, 5);
    expect(expectedPurchasesNewCustomer({ ...PUBLISHED, a: 1 }, 39)).toBeCloseTo(
      (expectedPurchasesNewCustomer({ ...PUBLISHED, a: 0.999 }, 39) + expectedPurchasesNewCustomer({ ...PUBLISHED, a: 1.001 }, 39)) / 2,
      5,
    );
  });

  it('ignores tx when x = 0 (the model does not use it)', () => {
    expect(expectedPurchases(PUBLISHED, 39, { x: 0, tx: 12, T: 38.86 })).toBe(expectedPurchases(PUBLISHED, 39, { x: 0, tx: 0, T: 38.86 }));
    expect(bgNbdLogLikelihood(PUBLISHED, [{ x: 0, tx: 12, T: 38.86 }])).toBe(bgNbdLogLikelihood(PUBLISHED, [{ x: 0, tx: 0, T: 38.86 }]));
  });
});

describe('BG/NBD input validation', () => {
  it.each([
    [{ x: -1, tx: 0, T: 1 }, /x \(repeat purchases\)/],
    [{ x: 1.5, tx: 0, T: 1 }, /whole number/],
    [{ x: 1, tx: -1, T: 1 }, /tx \(recency\)/],
    [{ x: 1, tx: Number.NaN, T: 1 }, /tx \(recency\)/],
    [{ x: 1, tx: 0, T: Number.POSITIVE_INFINITY }, /T \(customer age\)/],
    [{ x: 1, tx: 2, T: 1 }, /cannot exceed T/],
  ])('refuses %j', (rfm, message) => {
    expect(() => probabilityAlive(PUBLISHED, rfm)).toThrow(RangeError);
    expect(() => bgNbdLogLikelihood(PUBLISHED, [rfm])).toThrow(message);
  });

  it.each([
    [{ ...PUBLISHED, r: 0 }],
    [{ ...PUBLISHED, alpha: -1 }],
    [{ ...PUBLISHED, a: Number.NaN }],
    [{ ...PUBLISHED, b: Number.POSITIVE_INFINITY }],
  ])('refuses parameters %j', (params) => {
    expect(() => expectedPurchasesNewCustomer(params, 1)).toThrow(RangeError);
  });

  it('refuses a negative horizon and an empty fit', () => {
    expect(() => expectedPurchases(PUBLISHED, -1, { x: 0, tx: 0, T: 1 })).toThrow(/t \(horizon\)/);
    expect(() => expectedPurchasesNewCustomer(PUBLISHED, Number.NaN)).toThrow(RangeError);
    expect(() => fitBgNbd([])).toThrow(/no customers/);
  });
});
