import { expectedPurchases, type BgNbdParams } from './bg-nbd';
import type { RfmRow, TimeUnit } from './rfm';

const DAY_MS = 86_400_000;

/** Repeat purchase days BG/NBD predicted for the period after the calibration end, against those observed. */
export interface LifetimeHoldoutCheck {
  /** From the calibration end to the last later purchase, in time units. */
  periodLength: number;
  /** Σ E[Y(t) | x, tx, T] over the calibration customers. */
  expectedRepeatPurchases: number;
  /** Distinct (customer, UTC day) purchases of calibration customers after the calibration end. */
  actualRepeatPurchases: number;
}

/**
 * The literature's validation of BG/NBD (Fader, Hardie & Lee 2005, section 4): repeat purchase days
 * predicted for the period after `calibrationEnd` against those observed. `later` holds the
 * purchases after the calibration end; null when there are none.
 */
export function checkLifetimeHoldout(
  later: readonly { customerId: string; at: Date }[],
  rfm: readonly RfmRow[],
  params: BgNbdParams,
  calibrationEnd: Date,
  timeUnit: TimeUnit,
): LifetimeHoldoutCheck | null {
  if (later.length === 0) return null;
  const end = Math.max(...later.map((t) => t.at.getTime()));
  const unitMs = (timeUnit === 'weeks' ? 7 : 1) * DAY_MS;
  const t = (end - calibrationEnd.getTime()) / unitMs;
  const days = new Set(later.map((x) => `${x.customerId}|${Math.floor(x.at.getTime() / DAY_MS)}`));
  const known = new Set(rfm.map((r) => r.customerId));
  const actual = [...days].filter((k) => known.has(k.split('|')[0])).length;
  const expected = rfm.reduce((sum, r) => sum + expectedPurchases(params, t, r), 0);
  return { periodLength: t, expectedRepeatPurchases: expected, actualRepeatPurchases: actual };
}
