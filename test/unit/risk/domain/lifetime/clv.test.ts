import { expectedPurchases, type BgNbdParams } from '../../../../../subgraphs/risk/domain/lifetime/bg-nbd';
import { customerLifetimeValue } from '../../../../../subgraphs/risk/domain/lifetime/clv';
import { expectedAverageSpend, type GammaGammaParams } from '../../../../../subgraphs/risk/domain/lifetime/gamma-gamma';

const BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const customer = { x: 2, tx: 30.43, T: 38.86, monetary: 22.35 };

describe('customerLifetimeValue', () => {
  it('is the discounted sum of each step’s expected purchases × expected spend', () => {
    const spend = expectedAverageSpend(GG, customer);
    let expected = 0;
    for (let i = 1; i <= 4; i++) {
      const t = i * 13;
      expected += ((expectedPurchases(BG, t, customer) - expectedPurchases(BG, t - 13, customer)) * spend) / 1.01 ** t;
    }
    expect(customerLifetimeValue(BG, GG, customer, { horizon: 52, discountRate: 0.01, steps: 4 })).toBeCloseTo(expected, 10);
  });

  it('equals E[Y(horizon)] × E[M] without discounting, however the horizon is split', () => {
    const undiscounted = expectedPurchases(BG, 52, customer) * expectedAverageSpend(GG, customer);
    expect(customerLifetimeValue(BG, GG, customer, { horizon: 52, discountRate: 0 })).toBeCloseTo(undiscounted, 10);
    expect(customerLifetimeValue(BG, GG, customer, { horizon: 52, discountRate: 0, steps: 3 })).toBeCloseTo(undiscounted, 10);
  });

  it('grows with the horizon and falls with the discount rate', () => {
    const values = [4, 13, 26, 52, 104].map((horizon) => customerLifetimeValue(BG, GG, customer, { horizon, discountRate: 0.005 }));
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    const byRate = [0, 0.001, 0.01, 0.05].map((discountRate) => customerLifetimeValue(BG, GG, customer, { horizon: 52, discountRate }));
    for (let i = 1; i < byRate.length; i++) expect(byRate[i]).toBeLessThan(byRate[i - 1]);
  });

  it('is 0 over a zero horizon, and higher for a recent frequent buyer than a lapsed one', () => {
    expect(customerLifetimeValue(BG, GG, customer, { horizon: 0, discountRate: 0.01 })).toBe(0);
    const recent = customerLifetimeValue(BG, GG, { x: 6, tx: 38, T: 38.86, monetary: 30 }, { horizon: 52, discountRate: 0.01 });
    const lapsed = customerLifetimeValue(BG, GG, { x: 6, tx: 8, T: 38.86, monetary: 30 }, { horizon: 52, discountRate: 0.01 });
    expect(recent).toBeGreaterThan(lapsed);
  });

  it.each([
    [{ horizon: -1, discountRate: 0.01 }, /horizon/],
    [{ horizon: Number.NaN, discountRate: 0.01 }, /horizon/],
    [{ horizon: 52, discountRate: -0.1 }, /discountRate/],
    [{ horizon: 52, discountRate: 0.01, steps: 0 }, /steps/],
    [{ horizon: 52, discountRate: 0.01, steps: 2.5 }, /steps/],
  ])('refuses %j', (opts, message) => {
    expect(() => customerLifetimeValue(BG, GG, customer, opts)).toThrow(message);
  });
});
