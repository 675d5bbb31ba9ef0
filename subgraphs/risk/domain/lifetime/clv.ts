// Customer lifetime value from a purchase-count model (BG/NBD) and a spend model (Gamma-Gamma), the
// discounted-cash-flow sum of lifetimes' `customer_lifetime_value`. Expected purchases come in a
// cumulative curve E[Y(t)], so each step's purchases are the increment over the previous step.
import { expectedPurchases, type BgNbdParams, type Rfm } from './bg-nbd';
import { expectedAverageSpend, type GammaGammaParams } from './gamma-gamma';

export interface ClvOptions {
  /** How far ahead to count purchases, in the RFM's time unit. */
  horizon: number;
  /** Discount rate per time unit (0.01 = 1 % per week when the unit is weeks). */
  discountRate: number;
  /** Equal steps the horizon is split into; default one per whole time unit, Math.ceil(horizon), at least 1. */
  steps?: number;
}

/**
 * CLV = Σ_{i=1..n} (E[Y(tᵢ) | x, tx, T] − E[Y(tᵢ₋₁) | x, tx, T]) · E[M | x, zbar] / (1 + d)^{tᵢ},
 * tᵢ = i · horizon / n, t₀ = 0: each step's expected purchases, valued at the expected mean spend
 * and discounted from the step's end. lifetimes' `customer_lifetime_value(time=12 months,
 * discount_rate=d, freq='W')` is this with horizon = 12 × 4.345 weeks, n = 12 and a weekly rate
 * (1 + d)^{1/4.345} − 1. The spend is E[M], not the observed zbar, so a customer with one lucky
 * purchase is shrunk towards the population mean.
 */
export function customerLifetimeValue(bg: BgNbdParams, gg: GammaGammaParams, rfm: Rfm & { monetary: number }, opts: ClvOptions): number {
  const { horizon, discountRate } = opts;
  if (!Number.isFinite(horizon) || horizon < 0) throw new RangeError(`horizon must be finite and >= 0 (horizon=${horizon})`);
  if (!Number.isFinite(discountRate) || discountRate < 0) throw new RangeError(`discountRate must be finite and >= 0 (discountRate=${discountRate})`);
  const steps = opts.steps ?? Math.max(1, Math.ceil(horizon));
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`steps must be a whole number >= 1 (steps=${steps})`);
  const spend = expectedAverageSpend(gg, rfm);
  let value = 0;
  let previous = 0;
  for (let i = 1; i <= steps; i++) {
    const t = (i * horizon) / steps;
    const cumulative = expectedPurchases(bg, t, rfm);
    value += ((cumulative - previous) * spend) / Math.pow(1 + discountRate, t);
    previous = cumulative;
  }
  return value;
}
