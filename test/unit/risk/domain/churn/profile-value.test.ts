// valueProfile lives in domain/lifetime; this suite sits with the churn tests because it covers the
// per-profile scoring path (scoring.service values a profile from its churn history).
import { probabilityAlive, type BgNbdParams } from '../../../../../subgraphs/risk/domain/lifetime/bg-nbd';
import { customerLifetimeValue } from '../../../../../subgraphs/risk/domain/lifetime/clv';
import type { GammaGammaParams } from '../../../../../subgraphs/risk/domain/lifetime/gamma-gamma';
import { valueProfile, type LifetimeModelParams } from '../../../../../subgraphs/risk/domain/lifetime/profile-value';

// Published CDNOW estimates: BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma (FHL 2005, "RFM and CLV")
const BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const PARAMS: LifetimeModelParams = { bgNbd: BG, gammaGamma: GG, timeUnit: 'weeks', horizon: 52, discountRate: 0.01, purchaseEvent: 'Order Completed' };
const NOW = new Date('1997-09-30T00:00:00.000Z');
const at = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const PURCHASES = [
  { at: at('1997-01-01'), amount: 20 },
  { at: at('1997-01-08'), amount: 30 },
  { at: at('1997-08-01'), amount: 50 },
];
// Jan 1 → Aug 1 is 212 days, Jan 1 → Sep 30 is 272 days
const TX = 212 / 7;
const T = 272 / 7;

describe('valueProfile', () => {
  it('returns null for a profile with no purchase', () => {
    expect(valueProfile(PARAMS, [], NOW)).toBeNull();
  });

  it('returns null when every purchase is after the valuation date', () => {
    expect(valueProfile(PARAMS, [{ at: at('1997-10-01'), amount: 20 }], NOW)).toBeNull();
  });

  it('gives P(alive) = 1 after a single purchase (x = 0)', () => {
    const value = valueProfile(PARAMS, [{ at: at('1997-01-01'), amount: 20 }], NOW)!;
    expect(value).toMatchObject({ pAlive: 1, x: 0, tx: 0 });
    expect(value.T).toBeCloseTo(T, 12);
  });

  it('values a single purchaser at the population mean spend', () => {
    const value = valueProfile(PARAMS, [{ at: at('1997-01-01'), amount: 20 }], NOW)!;
    const expected = customerLifetimeValue(BG, GG, { x: 0, tx: 0, T, monetary: 0 }, { horizon: 52, discountRate: 0.01 });
    expect(value.clv).toBeGreaterThan(0);
    expect(value.clv!).toBeCloseTo(expected, 10);
  });

  it('gives the BG/NBD P(alive) of the profile’s x, tx and T with the published CDNOW parameters', () => {
    const value = valueProfile(PARAMS, PURCHASES, NOW)!;
    expect(value.x).toBe(2);
    expect(value.tx).toBeCloseTo(TX, 12);
    expect(value.T).toBeCloseTo(T, 12);
    expect(value.pAlive).toBeCloseTo(probabilityAlive(BG, { x: 2, tx: TX, T }), 14);
    expect(value.pAlive).toBeGreaterThan(0);
    expect(value.pAlive).toBeLessThan(1);
  });

  it('gives the CLV of the profile’s summary, with the mean repeat spend as monetary value', () => {
    const value = valueProfile(PARAMS, PURCHASES, NOW)!;
    const expected = customerLifetimeValue(BG, GG, { x: 2, tx: TX, T, monetary: 40 }, { horizon: 52, discountRate: 0.01 });
    expect(value.clv!).toBeCloseTo(expected, 10);
  });

  it('counts several purchases on one day as one', () => {
    const value = valueProfile(PARAMS, [...PURCHASES, { at: new Date('1997-08-01T15:00:00.000Z'), amount: 10 }], NOW)!;
    expect(value.x).toBe(2);
    const expected = customerLifetimeValue(BG, GG, { x: 2, tx: TX, T, monetary: 45 }, { horizon: 52, discountRate: 0.01 });
    expect(value.clv!).toBeCloseTo(expected, 10);
  });

  it('lowers P(alive) the longer the customer stays silent', () => {
    const now = valueProfile(PARAMS, PURCHASES, NOW)!;
    const later = valueProfile(PARAMS, PURCHASES, at('1998-06-30'))!;
    expect(later.pAlive).toBeLessThan(now.pAlive);
  });

  it('gives no CLV without a spend model, but still a P(alive)', () => {
    const value = valueProfile({ ...PARAMS, gammaGamma: null }, PURCHASES, NOW)!;
    expect(value.clv).toBeNull();
    expect(value.pAlive).toBeCloseTo(probabilityAlive(BG, { x: 2, tx: TX, T }), 14);
  });

  it.each([1, 0.5])('gives no CLV when the spend model has q = %p (infinite mean spend)', (q) => {
    expect(valueProfile({ ...PARAMS, gammaGamma: { ...GG, q } }, PURCHASES, NOW)!.clv).toBeNull();
  });

  it('gives no CLV for a refund-heavy history (negative mean repeat spend)', () => {
    const value = valueProfile(PARAMS, [{ at: at('1997-01-01'), amount: 20 }, { at: at('1997-02-01'), amount: -50 }], NOW)!;
    expect(value.x).toBe(1);
    expect(value.clv).toBeNull();
  });

  it('measures x, tx and T in days when the time unit is days', () => {
    const value = valueProfile({ ...PARAMS, timeUnit: 'days' }, PURCHASES, NOW)!;
    expect(value).toMatchObject({ x: 2, tx: 212, T: 272 });
  });
});

describe('valueProfile with repeat purchases that carried no revenue', () => {
  it('gives P(alive) and no CLV instead of failing', () => {
    const params = {
      bgNbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
      gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
      timeUnit: 'weeks' as const,
      horizon: 52,
      discountRate: 0.002,
      purchaseEvent: 'Order Completed',
    };
    const value = valueProfile(params, [{ at: new Date('1997-01-01T00:00:00Z'), amount: 20 }, { at: new Date('1997-02-01T00:00:00Z'), amount: 0 }], new Date('1997-09-30T00:00:00Z'));
    expect(value).not.toBeNull();
    expect(value!.x).toBe(1);
    expect(value!.pAlive).toBeGreaterThan(0);
    expect(value!.clv).toBeNull();
  });
});
