/** What a `signalDetected` subscriber asked for; every present criterion must match. */
export interface SignalCriteria {
  types?: readonly string[] | null;
  minSeverity?: number | null;
}

/** True when the signal passes the subscriber's criteria; absent criteria pass everything. */
export function matchesSignal(signal: { type: string; severity: number }, criteria: SignalCriteria | null | undefined): boolean {
  if (!criteria) return true;
  if (criteria.types?.length && !criteria.types.includes(signal.type)) return false;
  if (criteria.minSeverity != null && signal.severity < criteria.minSeverity) return false;
  return true;
}
