/**
 * Local times of day in a customer's time zone, with the platform's `Intl` time-zone database
 * (no library). DST: a wall time that does not exist on a day (the spring-forward gap) is reached
 * at the same elapsed offset after midnight, i.e. one hour later on the wall clock; a wall time
 * that happens twice (fall-back) is reached at its first occurrence after `now`.
 */

export interface LocalTime {
  hour: number;
  minute: number;
}

/** `HH:MM` (24-hour), or null when it is not one. */
export function parseLocalTime(text: string): LocalTime | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return m ? { hour: Number(m[1]), minute: Number(m[2]) } : null;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `Intl` knows this IANA zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall clock of `instantMs` in `timeZone`, as if it were UTC (ms). */
function wallClockMs(instantMs: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instantMs))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** Offset of `timeZone` from UTC at `instantMs`, ms (east positive), to the second. */
export function offsetMs(instantMs: number, timeZone: string): number {
  return wallClockMs(Math.floor(instantMs / 1000) * 1000, timeZone) - Math.floor(instantMs / 1000) * 1000;
}

/**
 * The first instant strictly after `now` at which the wall clock in `timeZone` shows `time` (see
 * the module note for DST). An unknown zone is read as UTC, so a bad trait delays nothing forever.
 */
export function nextLocalTime(now: Date, time: LocalTime, timeZone: string): Date {
  const zone = isTimeZone(timeZone) ? timeZone : 'UTC';
  const nowMs = now.getTime();
  const today = new Date(wallClockMs(nowMs, zone));
  for (let day = -1; day <= 2; day++) {
    const wall = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + day, time.hour, time.minute);
    // the offsets before and after any transition of that day; a real occurrence shows `wall`
    const before = wall - offsetMs(wall - 12 * 3_600_000, zone);
    const after = wall - offsetMs(wall + 12 * 3_600_000, zone);
    const real = [...new Set([before, after])].filter((at) => wallClockMs(at, zone) === wall).sort((a, b) => a - b);
    // none: `wall` falls in a spring-forward gap; the old offset reaches it one shift later
    const candidates = real.length ? real : [before];
    const next = candidates.find((at) => at > nowMs);
    if (next !== undefined) return new Date(next);
  }
  throw new RangeError(`nextLocalTime: no instant found after ${now.toISOString()} for ${time.hour}:${time.minute} in ${zone}`);
}
