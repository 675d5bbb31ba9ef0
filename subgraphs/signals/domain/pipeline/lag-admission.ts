// Admission by end-to-end lag: how many of a tenant's accepted events risk has not yet
// acknowledged, against the tenant's share, and how long a refused client should wait. Pure: the
// guard reads the figures, this decides.

/** Shortest `Retry-After`, in seconds (HTTP has no finer unit, and 0 invites a busy loop). */
export const MIN_RETRY_AFTER_SECONDS = 1;
/** Longest `Retry-After`, in seconds: a client told more would rather give up than wait. */
export const MAX_RETRY_AFTER_SECONDS = 60;
/** `Retry-After` when the tenant's drain rate is unknown (nothing of it reached risk in the last minute), in seconds. */
export const UNKNOWN_DRAIN_RETRY_AFTER_SECONDS = 5;

/** The figures one admission decision takes. */
export interface LagReading {
  /** The tenant's accepted events in this lane that risk has not acknowledged yet. */
  inFlight: number;
  /** Its share: at most this many in flight before its requests are refused. */
  maxInFlight: number;
}

/** Admit (null) or refuse with the seconds to wait. */
export type LagDecision = null | { retryAfterSeconds: number; excess: number };

/**
 * Refuses a request while the tenant's lag is over its share (`inFlight > maxInFlight`; a tenant
 * at its share is still admitted, so one request may take it past). The client is told to come
 * back once the excess has drained at the tenant's current rate: `⌈excess / drainPerSecond⌉`
 * seconds, clamped to [1, 60]; when the rate is unknown or zero (risk acknowledged nothing of the
 * tenant's in the last minute), `UNKNOWN_DRAIN_RETRY_AFTER_SECONDS`.
 */
export function admitByLag(reading: LagReading, drainPerSecond: number): LagDecision {
  const { inFlight, maxInFlight } = reading;
  if (!(maxInFlight > 0)) throw new RangeError(`admitByLag: maxInFlight must be positive (maxInFlight=${maxInFlight})`);
  if (!(inFlight > maxInFlight)) return null;
  const excess = inFlight - maxInFlight;
  return { excess, retryAfterSeconds: retryAfterFromDrain(excess, drainPerSecond) };
}

/**
 * Seconds for `excess` events to drain at `drainPerSecond` events per second, rounded up and
 * clamped to [MIN_RETRY_AFTER_SECONDS, MAX_RETRY_AFTER_SECONDS]; `UNKNOWN_DRAIN_RETRY_AFTER_SECONDS`
 * when the rate is not a positive finite number.
 */
export function retryAfterFromDrain(excess: number, drainPerSecond: number): number {
  if (!(drainPerSecond > 0) || !Number.isFinite(drainPerSecond)) return UNKNOWN_DRAIN_RETRY_AFTER_SECONDS;
  const seconds = Math.ceil(Math.max(0, excess) / drainPerSecond);
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(MIN_RETRY_AFTER_SECONDS, seconds));
}
