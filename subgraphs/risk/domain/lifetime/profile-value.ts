/**
 * A profile's P(alive) and CLV from a fitted lifetime model, computed from the profile's purchase
 * events as of `now` (the calibration end of a live score is always "now").
 */
import { probabilityAlive, type BgNbdParams } from './bg-nbd';
import { customerLifetimeValue } from './clv';
import type { GammaGammaParams } from './gamma-gamma';
import { buildRfm, type TimeUnit } from './rfm';

/** What a fitted lifetime model version stores (`ModelVersion.params`). */
export interface LifetimeModelParams {
  bgNbd: BgNbdParams;
  gammaGamma: GammaGammaParams | null;
  timeUnit: TimeUnit;
  /** CLV horizon and discount rate per time unit. */
  horizon: number;
  discountRate: number;
  purchaseEvent: string;
}

export interface ProfileValue {
  pAlive: number;
  /** null without a spend model (fewer than the needed repeat buyers). */
  clv: number | null;
  x: number;
  tx: number;
  T: number;
}

/**
 * null for a profile with no purchase yet (the model says nothing about non-customers), or when the
 * parameters give no finite P(alive); `clv` is null when they give no finite value.
 */
export function valueProfile(params: LifetimeModelParams, purchases: readonly { at: Date; amount: number }[], now: Date): ProfileValue | null {
  const [rfm] = buildRfm(
    purchases.map((p) => ({ customerId: 'profile', at: p.at, amount: p.amount })),
    { calibrationEnd: now, timeUnit: params.timeUnit },
  );
  if (!rfm) return null;
  const pAlive = probabilityAlive(params.bgNbd, rfm);
  // a value that is not a number says nothing: better no value than a score that cannot be stored
  if (!Number.isFinite(pAlive)) return null;
  // no spend model, one whose mean spend is infinite (q ≤ 1), or repeat purchases without revenue: no CLV
  const usable = params.gammaGamma && params.gammaGamma.q > 1 && (rfm.x === 0 || rfm.monetary > 0);
  const value = usable ? customerLifetimeValue(params.bgNbd, params.gammaGamma!, rfm, { horizon: params.horizon, discountRate: params.discountRate }) : null;
  const clv = value !== null && Number.isFinite(value) ? value : null;
  return { pAlive, clv, x: rfm.x, tx: rfm.tx, T: rfm.T };
}
