/** What risk can see of the tenant's data still on its way, when a training looks. */
export interface DataArrival {
  /** The tenant's handed-on watermark (epoch ms): every event received before it reached risk. Null: unknown. */
  handedOnUntil: number | null;
  /** The tenant's `record-activity` jobs still waiting (fair-share backlog, both lanes). */
  recordActivityWaiting: number;
  /** The tenant's `record-activity` jobs running or retrying (a batch handed on is taken in). */
  recordActivityInFlight: number;
}

/** How the wait went, stored in the trained version's metrics as `dataWait`. */
export interface DataWaitReport {
  /** Whether every event accepted before the request had reached risk when training started. */
  caughtUp: boolean;
  /** From the request to the start of training, ms. */
  waitedMs: number;
  /** The handed-on watermark then (ISO), null when unknown. */
  handedOnUntil: string | null;
  /** Why it trained without the data (when `caughtUp` is false). */
  reasons: string[];
}

export type DataWaitDecision = { action: 'train'; report: DataWaitReport } | { action: 'wait'; reasons: string[]; waitedMs: number };

/**
 * Whether a training asked for at `requestedAt` may start at `now` (epoch ms): once the tenant's
 * events up to the request have been handed on to risk (watermark ≥ request) and risk has taken
 * in everything handed to it (no record-activity job of the tenant waiting or in flight). Past
 * `maxWaitMs` it trains anyway, reporting what was missing.
 */
export function decideDataWait(arrival: DataArrival, requestedAt: number, now: number, maxWaitMs: number): DataWaitDecision {
  const reasons: string[] = [];
  if (arrival.handedOnUntil === null) reasons.push('the signals stage has not published how far it has handed events on');
  else if (arrival.handedOnUntil < requestedAt) reasons.push(`events received since ${new Date(arrival.handedOnUntil).toISOString()} have not reached risk yet`);
  if (arrival.recordActivityWaiting > 0) reasons.push(`${arrival.recordActivityWaiting} record-activity jobs waiting`);
  if (arrival.recordActivityInFlight > 0) reasons.push(`${arrival.recordActivityInFlight} record-activity jobs in flight`);
  const waitedMs = Math.max(0, now - requestedAt);
  const handedOnUntil = arrival.handedOnUntil === null ? null : new Date(arrival.handedOnUntil).toISOString();
  if (reasons.length === 0) return { action: 'train', report: { caughtUp: true, waitedMs, handedOnUntil, reasons } };
  if (waitedMs >= maxWaitMs) return { action: 'train', report: { caughtUp: false, waitedMs, handedOnUntil, reasons } };
  return { action: 'wait', reasons, waitedMs };
}
