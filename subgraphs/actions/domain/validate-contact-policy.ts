import { FIELD_LIMITS } from '../../common/limits';

import { MAX_CAP_WINDOW_SECONDS, MAX_QUIET_MINUTES, quietMinutes } from './contact-policy';
import { isTimeZone, parseLocalTime } from './local-time';

/** A contact policy as an admin sends it. */
export interface ContactPolicyDraft {
  channel: string;
  /** `HH:MM`; with `quietHoursEnd`, or neither. */
  quietHoursStart?: string | null;
  quietHoursEnd?: string | null;
  /** IANA zone for customers without a `timezone` trait. Default `UTC`. */
  timezone?: string | null;
  /** With `capWindowSeconds`, or neither. */
  capCount?: number | null;
  capWindowSeconds?: number | null;
}

/** A valid draft, normalised (trimmed, defaults filled in). */
export interface ValidContactPolicy {
  channel: string;
  quietStart: string | null;
  quietEnd: string | null;
  timezone: string;
  capCount: number | null;
  capWindowSeconds: number | null;
}

/** One thing wrong with a draft; `field` is its path in the input, e.g. `input.quietHoursEnd`. */
export interface ContactPolicyProblem {
  field: string;
  message: string;
}

const NAME = new RegExp(`^[A-Za-z0-9_.:\\- ]{1,${FIELD_LIMITS.channelRefLength}}$`);

/** Checks a draft contact policy; returns every problem at once, each naming its field. */
export function validateContactPolicy(draft: ContactPolicyDraft): { policy: ValidContactPolicy; problems: [] } | { policy: null; problems: ContactPolicyProblem[] } {
  const problems: ContactPolicyProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field: `input.${field}`, message });
  const channel = (draft.channel ?? '').trim();
  if (!NAME.test(channel)) problem('channel', `must name one of your channels (1–${FIELD_LIMITS.channelRefLength} characters)`);
  const start = draft.quietHoursStart?.trim() || null;
  const end = draft.quietHoursEnd?.trim() || null;
  if ((start === null) !== (end === null)) problem(start === null ? 'quietHoursStart' : 'quietHoursEnd', 'give both quietHoursStart and quietHoursEnd, or neither');
  if (start !== null && !parseLocalTime(start)) problem('quietHoursStart', 'must be a time of day HH:MM (00:00–23:59)');
  if (end !== null && !parseLocalTime(end)) problem('quietHoursEnd', 'must be a time of day HH:MM (00:00–23:59)');
  const quiet = start && end ? { start: parseLocalTime(start), end: parseLocalTime(end) } : null;
  if (start !== null && start === end) problem('quietHoursEnd', 'must differ from quietHoursStart');
  else if (quiet?.start && quiet.end && quietMinutes({ start: quiet.start, end: quiet.end }) > MAX_QUIET_MINUTES) problem('quietHoursEnd', `the quiet window must be at most ${MAX_QUIET_MINUTES / 60} hours`);
  const timezone = draft.timezone?.trim() || 'UTC';
  if (!isTimeZone(timezone) || timezone.length > FIELD_LIMITS.timezoneLength) problem('timezone', 'must be an IANA time zone such as Europe/Paris');
  const capCount = draft.capCount ?? null;
  const capWindowSeconds = draft.capWindowSeconds ?? null;
  if ((capCount === null) !== (capWindowSeconds === null)) problem(capCount === null ? 'capCount' : 'capWindowSeconds', 'give both capCount and capWindowSeconds, or neither');
  if (capCount !== null && (!Number.isInteger(capCount) || capCount < 1 || capCount > FIELD_LIMITS.contactCapCount)) problem('capCount', `must be a whole number of sends, 1–${FIELD_LIMITS.contactCapCount}`);
  if (capWindowSeconds !== null && (!Number.isInteger(capWindowSeconds) || capWindowSeconds < 60 || capWindowSeconds > MAX_CAP_WINDOW_SECONDS)) {
    problem('capWindowSeconds', `must be whole seconds, 60–${MAX_CAP_WINDOW_SECONDS}`);
  }
  if (problems.length) return { policy: null, problems };
  return { policy: { channel, quietStart: start, quietEnd: end, timezone, capCount, capWindowSeconds }, problems: [] };
}
