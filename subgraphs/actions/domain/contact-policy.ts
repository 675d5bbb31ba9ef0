import { isTimeZone, nextLocalTime, offsetMs, type LocalTime } from './local-time';

/**
 * Guardrails of a tenant's sends on one channel: quiet hours in the customer's time zone and a
 * frequency cap per customer. Pure: the step runner reads the policy and the ledger, asks
 * `decideSend`, and defers, skips or sends.
 */

/** Local hours during which a channel stays silent: `[start, end)`; `start > end` wraps midnight. */
export interface QuietHours {
  start: LocalTime;
  end: LocalTime;
}

/** At most `count` sends on the channel per customer in any rolling `windowSeconds`. */
export interface FrequencyCap {
  count: number;
  windowSeconds: number;
}

/** A tenant's policy for one channel (as stored in `contact_policy`). */
export interface ContactPolicy {
  channel: string;
  quietHours: QuietHours | null;
  /** IANA zone used when the customer has no (valid) `timezone` trait: the tenant's zone. Default `UTC`. */
  timezone: string;
  cap: FrequencyCap | null;
}

/** What to do with one send now. */
export type SendDecision =
  | { kind: 'send' }
  /** Inside quiet hours: try again at `until` (the end of the quiet window). */
  | { kind: 'defer'; until: Date }
  /** Over the frequency cap: skip the send; `reason` goes into the ledger. */
  | { kind: 'skip'; reason: string };

const DAY_MINUTES = 24 * 60;

/** Minutes after local midnight of `at` in `timeZone` (0–1439). */
export function localMinuteOfDay(at: Date, timeZone: string): number {
  const wall = at.getTime() + offsetMs(at.getTime(), timeZone);
  return Math.floor((((wall % 86_400_000) + 86_400_000) % 86_400_000) / 60_000);
}

/** True when `at` falls inside the quiet hours, read on the wall clock of `timeZone`. */
export function inQuietHours(at: Date, quiet: QuietHours, timeZone: string): boolean {
  const m = localMinuteOfDay(at, timeZone);
  const s = quiet.start.hour * 60 + quiet.start.minute;
  const e = quiet.end.hour * 60 + quiet.end.minute;
  if (s === e) return false;
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/**
 * The first instant at or after `now` outside the quiet hours, to the minute: `now` itself when
 * it is outside, else the next local `end` (see `nextLocalTime`). When the offset changes before
 * that (DST), the wall clock may jump over `end` (a spring-forward gap holding it): the exit is
 * then the jump itself, found by bisection over whole minutes (every zone shifts on a minute).
 */
export function quietHoursEnd(now: Date, quiet: QuietHours, timeZone: string): Date {
  if (!inQuietHours(now, quiet, timeZone)) return now;
  const next = nextLocalTime(now, quiet.end, timeZone);
  if (offsetMs(now.getTime(), timeZone) === offsetMs(next.getTime(), timeZone)) return next;
  // inside at `lo`, outside at `hi` (minute indices); inside-ness switches once in between
  let lo = Math.ceil(now.getTime() / 60_000);
  let hi = Math.floor(next.getTime() / 60_000);
  if (!inQuietHours(new Date(lo * 60_000), quiet, timeZone)) return new Date(lo * 60_000);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (inQuietHours(new Date(mid * 60_000), quiet, timeZone)) lo = mid;
    else hi = mid;
  }
  const end = new Date(hi * 60_000);
  if (inQuietHours(end, quiet, timeZone)) throw new RangeError(`quietHoursEnd: no instant outside quiet hours after ${now.toISOString()} in ${timeZone}`);
  return end;
}

/** The zone a customer's quiet hours are read in: their valid `timezone` trait, else the policy's. */
export function customerTimeZone(traits: Record<string, unknown>, policy: Pick<ContactPolicy, 'timezone'>): string {
  const tz = traits.timezone;
  if (typeof tz === 'string' && tz && isTimeZone(tz)) return tz;
  return isTimeZone(policy.timezone) ? policy.timezone : 'UTC';
}

/** Where the rolling cap window of `cap` starts for a send at `now`: sends after it count. */
export function capWindowStart(now: Date, cap: FrequencyCap): Date {
  return new Date(now.getTime() - cap.windowSeconds * 1000);
}

/** When a send at `now` falls inside the policy's quiet hours: the end of the window; else null. */
export function deferUntil(now: Date, policy: ContactPolicy | null, traits: Record<string, unknown>): Date | null {
  if (!policy?.quietHours) return null;
  const zone = customerTimeZone(traits, policy);
  return inQuietHours(now, policy.quietHours, zone) ? quietHoursEnd(now, policy.quietHours, zone) : null;
}

/**
 * Why a send is over the frequency cap, or null: `sentBefore` is how many sends on this channel
 * reached (or may have reached) the customer in `(now − window, now]` and were claimed before it.
 */
export function capReason(policy: ContactPolicy | null, sentBefore: number): string | null {
  if (!policy?.cap || sentBefore < policy.cap.count) return null;
  return `frequency cap: ${policy.cap.count} per ${policy.cap.windowSeconds}s on ${policy.channel}`;
}

/**
 * Decides one send: quiet hours first (a deferred send is decided again when it comes back, cap
 * included), then the cap. The step runner applies the two halves around its outbox claim.
 */
export function decideSend(now: Date, policy: ContactPolicy | null, traits: Record<string, unknown>, sentBefore: number): SendDecision {
  const until = deferUntil(now, policy, traits);
  if (until) return { kind: 'defer', until };
  const reason = capReason(policy, sentBefore);
  return reason ? { kind: 'skip', reason } : { kind: 'send' };
}

/** Longest quiet window: 20 hours a day, in minutes (a channel quiet for longer is better disabled). */
export const MAX_QUIET_MINUTES = 20 * 60;

/** Longest cap window: 365 days, in seconds. */
export const MAX_CAP_WINDOW_SECONDS = 365 * 24 * 3600;

/** Minutes of the day a window is quiet (0 when start = end). */
export function quietMinutes(quiet: QuietHours): number {
  const s = quiet.start.hour * 60 + quiet.start.minute;
  const e = quiet.end.hour * 60 + quiet.end.minute;
  return (e - s + DAY_MINUTES) % DAY_MINUTES;
}
