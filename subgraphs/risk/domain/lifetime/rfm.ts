// Frequency / recency / age / monetary summaries of a transaction log over a calibration period:
// the input of the BG/NBD and Gamma-Gamma models. Follows the convention of the literature and of
// lifetimes' `summary_data_from_transaction_data`: time is kept to the UTC calendar day, and several
// purchases on one day are one purchase.

export type TimeUnit = 'days' | 'weeks';

export interface Transaction {
  customerId: string;
  at: Date;
  amount: number;
}

export interface RfmOptions {
  /** End of the calibration period (inclusive): later transactions are ignored. */
  calibrationEnd: Date;
  timeUnit: TimeUnit;
}

export interface RfmRow {
  customerId: string;
  /** Repeat purchases: distinct purchase days after the first purchase day. */
  x: number;
  /** Recency: last purchase day − first purchase day, in time units. */
  tx: number;
  /** Age: calibrationEnd − first purchase day, in time units (fractional). */
  T: number;
  /**
   * Mean value of the repeat purchase days (each day's amounts summed; the first day excluded, as in
   * the Gamma-Gamma literature and lifetimes), 0 when x = 0.
   */
  monetary: number;
  /** First purchase (start of its UTC day), ISO 8601. */
  firstPurchaseAt: string;
}

const DAY_MS = 86_400_000;
const UNIT_MS: Record<TimeUnit, number> = { days: DAY_MS, weeks: 7 * DAY_MS };

/**
 * One row per customer whose first purchase falls on or before calibrationEnd, sorted by customerId
 * so the output does not depend on the order of the log. Each transaction's time is floored to its
 * UTC day; calibrationEnd is used as given, so T is fractional when it is not a midnight.
 * Throws a RangeError for an invalid date, a non-finite amount or an unknown time unit.
 */
export function buildRfm(transactions: readonly Transaction[], opts: RfmOptions): RfmRow[] {
  const end = opts.calibrationEnd.getTime();
  if (!Number.isFinite(end)) throw new RangeError('buildRfm: calibrationEnd is not a valid date');
  const unit = UNIT_MS[opts.timeUnit];
  if (unit === undefined) throw new RangeError(`buildRfm: timeUnit must be 'days' or 'weeks' (got ${String(opts.timeUnit)})`);
  const days = new Map<string, Map<number, number>>(); // customer → day start (ms) → amount that day
  for (const { customerId, at, amount } of transactions) {
    const time = at.getTime();
    if (!Number.isFinite(time)) throw new RangeError(`buildRfm: invalid date for customer ${customerId}`);
    if (!Number.isFinite(amount)) throw new RangeError(`buildRfm: amount must be finite (customer ${customerId}, amount=${amount})`);
    if (time > end) continue;
    const day = Math.floor(time / DAY_MS) * DAY_MS;
    let byDay = days.get(customerId);
    if (!byDay) days.set(customerId, (byDay = new Map()));
    byDay.set(day, (byDay.get(day) ?? 0) + amount);
  }
  const rows: RfmRow[] = [];
  for (const [customerId, byDay] of days) {
    const ordered = [...byDay.keys()].sort((p, q) => p - q);
    const first = ordered[0];
    const last = ordered[ordered.length - 1];
    const x = ordered.length - 1;
    let repeatSpend = 0;
    for (const day of ordered.slice(1)) repeatSpend += byDay.get(day) as number;
    rows.push({
      customerId,
      x,
      tx: (last - first) / unit,
      T: (end - first) / unit,
      monetary: x > 0 ? repeatSpend / x : 0,
      firstPurchaseAt: new Date(first).toISOString(),
    });
  }
  return rows.sort((p, q) => (p.customerId < q.customerId ? -1 : p.customerId > q.customerId ? 1 : 0));
}
