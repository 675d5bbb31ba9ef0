import fc from 'fast-check';

import { capReason, decideSend, inQuietHours, quietHoursEnd, type ContactPolicy, type QuietHours } from '../../../../subgraphs/actions/domain/contact-policy';
import { validateContactPolicy } from '../../../../subgraphs/actions/domain/validate-contact-policy';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ZONES = ['Europe/London', 'America/New_York', 'Australia/Lord_Howe'] as const;

/** The wall clock's minute of day, read with Intl directly (independent of the module's offset arithmetic). */
function wallMinute(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  return get('hour') * 60 + get('minute');
}

/** An independent quiet-hours check on the wall clock. */
function quietAt(at: Date, q: QuietHours, timeZone: string): boolean {
  const m = wallMinute(at, timeZone);
  const s = q.start.hour * 60 + q.start.minute;
  const e = q.end.hour * 60 + q.end.minute;
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** Every DST transition of the zones in 2025–2027: a 6-hour scan, then the half-hour where the offset changes. */
function transitions(): number[] {
  const out: number[] = [];
  for (const tz of ZONES) {
    const format = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
    const offset = (ms: number) => format.formatToParts(new Date(ms)).find((x) => x.type === 'timeZoneName')!.value;
    for (let t = Date.UTC(2025, 0, 1); t < Date.UTC(2028, 0, 1); t += 6 * HOUR) {
      if (offset(t) === offset(t + 6 * HOUR)) continue;
      let at = t;
      while (offset(at) === offset(at + 30 * MINUTE)) at += 30 * MINUTE;
      out.push(at + 30 * MINUTE);
    }
  }
  return out;
}
const TRANSITIONS = transitions();

/** Instants anywhere in 2025–2027, and many within two days of a DST change. */
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2027, 11, 31) }).map((ms) => new Date(ms)),
  fc.tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -48 * 60, max: 48 * 60 }), fc.integer({ min: 0, max: 59 })).map(([t, m, s]) => new Date(t + m * MINUTE + s * 1000)),
);
const localTime = fc.record({ hour: fc.integer({ min: 0, max: 23 }), minute: fc.constantFrom(0, 15, 30, 45, 59) });
const quietHours = fc
  .tuple(localTime, localTime)
  .filter(([s, e]) => {
    const len = (e.hour * 60 + e.minute - (s.hour * 60 + s.minute) + 1440) % 1440;
    return len > 0 && len <= 20 * 60;
  })
  .map(([start, end]): QuietHours => ({ start, end }));

describe('inQuietHours', () => {
  const night: QuietHours = { start: { hour: 21, minute: 0 }, end: { hour: 8, minute: 0 } };
  it.each([
    ['inside before midnight', '2026-01-15T22:30:00Z', 'Europe/London', true],
    ['inside after midnight', '2026-01-15T07:59:00Z', 'Europe/London', true],
    ['outside at the end (exclusive)', '2026-01-15T08:00:00Z', 'Europe/London', false],
    ['outside in the day', '2026-01-15T12:00:00Z', 'Europe/London', false],
    ['read in the customer’s zone (07:00 in New York is 12:00 UTC)', '2026-01-15T12:00:00Z', 'America/New_York', true],
  ])('%s', (_name, at, zone, quiet) => {
    expect(inQuietHours(new Date(at), night, zone)).toBe(quiet);
  });
});

describe('quietHoursEnd', () => {
  it.each([
    ['the next local end', '2026-01-15T22:30:00Z', { start: { hour: 21, minute: 0 }, end: { hour: 8, minute: 0 } }, 'Europe/London', '2026-01-16T08:00:00.000Z'],
    ['now when outside', '2026-01-15T12:00:00Z', { start: { hour: 21, minute: 0 }, end: { hour: 8, minute: 0 } }, 'Europe/London', '2026-01-15T12:00:00.000Z'],
    // London springs forward at 01:00 GMT to 02:00 BST: the wall clock jumps over 01:30
    ['the jump itself when the end falls in a spring-forward gap', '2026-03-29T00:10:00Z', { start: { hour: 0, minute: 0 }, end: { hour: 1, minute: 30 } }, 'Europe/London', '2026-03-29T01:00:00.000Z'],
    // Lord Howe moves from +11 to +10:30 at 02:00 local (15:00 UTC): 01:45 happens twice
    ['the first end of a fall-back overlap (Lord Howe, half-hour shift)', '2026-04-04T14:00:00Z', { start: { hour: 1, minute: 0 }, end: { hour: 1, minute: 45 } }, 'Australia/Lord_Howe', '2026-04-04T14:45:00.000Z'],
  ])('finds %s', (_name, now, quiet, zone, expected) => {
    expect(quietHoursEnd(new Date(now), quiet, zone).toISOString()).toBe(expected);
  });
});

describe('decideSend', () => {
  const policy = (p: Partial<ContactPolicy>): ContactPolicy => ({ channel: 'email', quietHours: null, timezone: 'UTC', cap: null, ...p });

  it('sends with no policy, skips over the cap with a reason, and prefers the customer’s zone over the tenant’s', () => {
    const at = new Date('2026-01-15T12:00:00Z');
    expect(decideSend(at, null, {}, 99)).toEqual({ kind: 'send' });
    expect(decideSend(at, policy({ cap: { count: 3, windowSeconds: 604800 } }), {}, 2)).toEqual({ kind: 'send' });
    expect(decideSend(at, policy({ cap: { count: 3, windowSeconds: 604800 } }), {}, 3)).toEqual({ kind: 'skip', reason: 'frequency cap: 3 per 604800s on email' });
    const night = policy({ quietHours: { start: { hour: 21, minute: 0 }, end: { hour: 8, minute: 0 } }, timezone: 'Europe/London' });
    expect(decideSend(at, night, {}, 0)).toEqual({ kind: 'send' });
    expect(decideSend(at, night, { timezone: 'America/New_York' }, 0)).toEqual({ kind: 'defer', until: new Date('2026-01-15T13:00:00Z') });
    expect(decideSend(at, night, { timezone: 'Not/AZone' }, 0)).toEqual({ kind: 'send' });
  });

  it('never lets a send fall inside quiet hours in the customer’s zone, and defers no longer than needed, across DST changes (property)', () => {
    fc.assert(
      fc.property(instant, quietHours, fc.constantFrom(...ZONES), fc.boolean(), (now, quiet, zone, asTrait) => {
        const p = policy({ quietHours: quiet, timezone: asTrait ? 'UTC' : zone });
        const traits = asTrait ? { timezone: zone } : {};
        // the injected clock: the step comes back exactly when it was deferred to
        let clock = now;
        let decision = decideSend(clock, p, traits, 0);
        for (let i = 0; decision.kind === 'defer' && i < 3; i++) {
          expect(decision.until.getTime()).toBeGreaterThan(clock.getTime());
          expect(decision.until.getTime() - now.getTime()).toBeLessThanOrEqual(21 * HOUR);
          // the minute before the deferred time is still quiet: no later than needed
          expect(quietAt(new Date(decision.until.getTime() - MINUTE), quiet, zone)).toBe(true);
          clock = decision.until;
          decision = decideSend(clock, p, traits, 0);
        }
        expect(decision).toEqual({ kind: 'send' });
        expect(quietAt(clock, quiet, zone)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('never sends more than the cap in any rolling window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 14 * 24 }),
        fc.array(fc.integer({ min: 0, max: 60 * 24 * 30 }), { minLength: 1, maxLength: 60 }),
        (count, windowHours, minutes) => {
          const p = policy({ cap: { count, windowSeconds: windowHours * 3600 } });
          const attempts = [...minutes].sort((a, b) => a - b).map((m) => Date.UTC(2026, 2, 1) + m * MINUTE);
          const sent: number[] = [];
          for (const at of attempts) {
            // what the ledger count answers: sends in (at − window, at]
            const before = sent.filter((s) => s > at - windowHours * HOUR).length;
            if (decideSend(new Date(at), p, {}, before).kind === 'send') sent.push(at);
          }
          for (const s of sent) expect(sent.filter((x) => x > s - windowHours * HOUR && x <= s).length).toBeLessThanOrEqual(count);
          // and the cap never blocks a send that fits
          expect(sent.length).toBeGreaterThanOrEqual(Math.min(count, attempts.length));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('gives no reason under the cap or without one', () => {
    expect(capReason(null, 10)).toBeNull();
    expect(capReason(policy({}), 10)).toBeNull();
  });
});

describe('validateContactPolicy', () => {
  it.each([
    ['an unpaired quiet start', { channel: 'email', quietHoursStart: '21:00' }, 'input.quietHoursEnd'],
    ['a bad time', { channel: 'email', quietHoursStart: '25:00', quietHoursEnd: '08:00' }, 'input.quietHoursStart'],
    ['an unknown zone', { channel: 'email', timezone: 'Mars/Base' }, 'input.timezone'],
    ['a cap without a window', { channel: 'email', capCount: 3 }, 'input.capWindowSeconds'],
    ['a zero cap', { channel: 'email', capCount: 0, capWindowSeconds: 3600 }, 'input.capCount'],
    ['a window longer than 20 hours', { channel: 'email', quietHoursStart: '08:00', quietHoursEnd: '07:00' }, 'input.quietHoursEnd'],
    ['an empty channel', { channel: ' ' }, 'input.channel'],
  ])('refuses %s, naming the field', (_name, draft, field) => {
    const { problems } = validateContactPolicy(draft);
    expect(problems.map((p) => p.field)).toContain(field);
  });

  it('normalises a valid policy', () => {
    expect(validateContactPolicy({ channel: ' sms ', quietHoursStart: '21:00', quietHoursEnd: '08:00', capCount: 3, capWindowSeconds: 604800 })).toEqual({
      policy: { channel: 'sms', quietStart: '21:00', quietEnd: '08:00', timezone: 'UTC', capCount: 3, capWindowSeconds: 604800 },
      problems: [],
    });
  });
});
