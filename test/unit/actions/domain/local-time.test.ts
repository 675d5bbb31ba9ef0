import fc from 'fast-check';

import { nextLocalTime, offsetMs, parseLocalTime } from '../../../../subgraphs/actions/domain/local-time';

const wallOf = (at: Date, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);

describe('nextLocalTime', () => {
  it.each([
    ['later today', '2026-03-10T08:00:00Z', '10:00', 'Europe/Paris', '2026-03-10T09:00:00.000Z'],
    ['tomorrow once passed', '2026-03-10T10:00:00Z', '10:00', 'Europe/Paris', '2026-03-11T09:00:00.000Z'],
    ['strictly after now', '2026-03-10T09:00:00Z', '10:00', 'Europe/Paris', '2026-03-11T09:00:00.000Z'],
    ['across the date line', '2026-03-10T20:00:00Z', '09:00', 'Pacific/Auckland', '2026-03-10T20:00:00.000Z'.replace('10T20', '11T20')],
    ['on the spring-forward day (Paris, offset +2 after)', '2026-03-29T00:30:00Z', '09:00', 'Europe/Paris', '2026-03-29T07:00:00.000Z'],
    ['inside the spring-forward gap (02:30 does not exist): one hour later on the wall', '2026-03-28T12:00:00Z', '02:30', 'Europe/Paris', '2026-03-29T01:30:00.000Z'],
    ['inside the fall-back overlap: the first 01:30', '2026-11-01T00:00:00Z', '01:30', 'America/New_York', '2026-11-01T05:30:00.000Z'],
    ['reading an unknown zone as UTC', '2026-03-10T08:00:00Z', '10:00', 'Not/AZone', '2026-03-10T10:00:00.000Z'],
  ])('finds the time %s', (_name, now, time, zone, expected) => {
    expect(nextLocalTime(new Date(now), parseLocalTime(time)!, zone).toISOString()).toBe(expected);
  });

  const zones = ['Europe/Paris', 'America/New_York', 'Australia/Sydney', 'Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'UTC'];
  it('is always in the future, within 49 hours, and shows the wall time unless it falls in a gap (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2020-01-01Z'), max: new Date('2035-01-01Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 59 }),
        fc.constantFrom(...zones),
        (now, hour, minute, zone) => {
          const at = nextLocalTime(now, { hour, minute }, zone);
          expect(at.getTime()).toBeGreaterThan(now.getTime());
          expect(at.getTime() - now.getTime()).toBeLessThanOrEqual(49 * 3600_000);
          const wanted = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
          // a gap instant shows the wall time shifted by the DST change (offset before ≠ after)
          const inGap = offsetMs(at.getTime() - 6 * 3600_000, zone) !== offsetMs(at.getTime() + 6 * 3600_000, zone);
          if (!inGap) expect(wallOf(at, zone)).toBe(wanted);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
