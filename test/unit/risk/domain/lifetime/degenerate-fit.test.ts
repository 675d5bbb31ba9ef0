import { bgNbdLogLikelihood, fitBgNbd, type Rfm } from '../../../../../subgraphs/risk/domain/lifetime/bg-nbd';
import { valueProfile } from '../../../../../subgraphs/risk/domain/lifetime/profile-value';
import { createSeededRandom, simulateBgNbd } from '../../../../../subgraphs/risk/domain/lifetime/simulate';

const NOW = new Date('2026-12-01T00:00:00Z');
const WEEK = 7 * 86_400_000;

/** Purchases that summarise to this (x, tx, T) in weeks as of NOW, 20 each. */
function purchasesOf(rfm: Rfm): { at: Date; amount: number }[] {
  const first = NOW.getTime() - rfm.T * WEEK;
  return Array.from({ length: rfm.x + 1 }, (_, i) => ({ at: new Date(first + (rfm.x ? (rfm.tx * i) / rfm.x : 0) * WEEK), amount: 20 }));
}

/**
 * A nearly homogeneous population (every customer buys at about the same rate, hardly anyone drops
 * out) pulls the BG/NBD fit along its Poisson ridge, r, α → ∞. Far out there the likelihood cancels
 * to garbage (it read 0, above the true optimum), and an unbounded fit stopped at r ≈ 1e27 with
 * parameters that made every CLV NaN: the demo's risk stage then retried its batch forever.
 */
describe('BG/NBD on a nearly homogeneous population', () => {
  const random = createSeededRandom(11);
  const ages = Array.from({ length: 1200 }, () => 8 + 8 * random());
  const rfms: Rfm[] = simulateBgNbd({ r: 5e4, alpha: 1e5, a: 0.02, b: 50 }, ages, random);

  it('stays inside the parameter box and finds a real optimum, not a numerical artefact', () => {
    const fit = fitBgNbd(rfms);
    for (const value of Object.values(fit.params)) {
      expect(value).toBeGreaterThanOrEqual(1e-6);
      expect(value).toBeLessThanOrEqual(1e6);
    }
    expect(fit.logLikelihood).toBe(bgNbdLogLikelihood(fit.params, rfms));
    // the mean purchase rate r/α is what such data pins down
    expect(fit.params.r / fit.params.alpha).toBeGreaterThan(0.4);
    expect(fit.params.r / fit.params.alpha).toBeLessThan(0.6);
    // at least as good as a sensible point on the ridge
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgNbdLogLikelihood({ r: 500, alpha: 1000, a: 0.02, b: 50 }, rfms) - 1e-6);
  });

  it('never gives a customer a non-finite P(alive) or CLV: a value, or none', () => {
    const fit = fitBgNbd(rfms);
    const params = { bgNbd: fit.params, gammaGamma: { p: 6, q: 4, gamma: 15 }, timeUnit: 'weeks' as const, horizon: 52, discountRate: 0.002, purchaseEvent: 'Order Completed' };
    const values = rfms.slice(0, 200).map((rfm) => valueProfile(params, purchasesOf(rfm), NOW));
    for (const value of values) {
      if (value === null) continue;
      expect(Number.isFinite(value.pAlive)).toBe(true);
      expect(value.clv === null || Number.isFinite(value.clv)).toBe(true);
    }
  });
});

describe('BG/NBD on a simulated bank (the demo\'s purchases: r ≈ 7, α ≈ 17, a ≈ 0.03, b ≈ 1.1)', () => {
  const truth = { r: 7, alpha: 17, a: 0.03, b: 1.1 };
  const random = createSeededRandom(5);
  const ages = Array.from({ length: 1500 }, () => 2 + 14 * random());
  const rfms: Rfm[] = simulateBgNbd(truth, ages, random);

  it('finds the optimum, at least as likely as the truth, and a finite CLV for every customer', () => {
    const fit = fitBgNbd(rfms);
    expect(fit.logLikelihood).toBeGreaterThanOrEqual(bgNbdLogLikelihood(truth, rfms) - 1e-6);
    expect(fit.params.r / fit.params.alpha).toBeCloseTo(truth.r / truth.alpha, 1);
    const params = { bgNbd: fit.params, gammaGamma: { p: 6, q: 4, gamma: 15 }, timeUnit: 'weeks' as const, horizon: 52, discountRate: 0.002, purchaseEvent: 'Order Completed' };
    for (const rfm of rfms.slice(0, 300)) {
      const value = valueProfile(params, purchasesOf(rfm), NOW);
      expect(value).not.toBeNull();
      expect(value!.clv).toBeGreaterThan(0);
      expect(Number.isFinite(value!.clv)).toBe(true);
    }
  });
});

describe('valueProfile', () => {
  it('answers no value rather than NaN for parameters that give none (the unbounded fit\'s)', () => {
    const params = { bgNbd: { r: 2.5e27, alpha: 1.1e38, a: 111, b: 26.8 }, gammaGamma: { p: 3, q: 2.9, gamma: 38 }, timeUnit: 'weeks' as const, horizon: 52, discountRate: 0.002, purchaseEvent: 'Order Completed' };
    const purchases = [0, 20, 40, 60].map((d) => ({ at: new Date(NOW.getTime() - (70 - d) * 86_400_000), amount: 25 }));
    const value = valueProfile(params, purchases, NOW);
    expect(value === null || value.clv === null || Number.isFinite(value.clv)).toBe(true);
    if (value) expect(Number.isFinite(value.pAlive)).toBe(true);
  });
});
