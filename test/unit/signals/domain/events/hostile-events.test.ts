import { createHash } from 'node:crypto';

import fc from 'fast-check';

import { canonicalJson } from '../../../../../subgraphs/signals/domain/events/canonical-json';
import { jsonShapeProblem, MAX_JSON_DEPTH } from '../../../../../subgraphs/signals/domain/events/json-shape';
import { validateEvent, type ValidateEventOptions } from '../../../../../subgraphs/signals/domain/events/validate-event';

const receivedAt = new Date('2026-11-25T12:00:00.000Z');
const options: ValidateEventOptions = { receivedAt, digest: (text) => createHash('sha256').update(text).digest('hex') };
const track = (over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Signed Up', userId: 'u1', ...over });

/** `{ a: { a: … } }`, `depth` objects deep, built without recursion. */
function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('validateEvent against hostile events', () => {
  it('refuses nesting deeper than the cap with the path, even far past the stack (no RangeError)', () => {
    expect(validateEvent(track({ properties: nested(MAX_JSON_DEPTH - 2) }), options).ok).toBe(true);
    const deep = validateEvent(track({ properties: nested(MAX_JSON_DEPTH + 1) }), options);
    expect(deep).toEqual({ ok: false, reason: expect.stringMatching(new RegExp(`^properties(\\.a)+ nests deeper than ${MAX_JSON_DEPTH} levels$`)) });
    // a depth at which recursive serialization overflows the stack
    expect(() => canonicalJson(nested(100_000))).toThrow(RangeError);
    expect(validateEvent(track({ properties: nested(100_000) }), options).ok).toBe(false);
    expect(validateEvent(track({ integrations: nested(100_000) }), options).ok).toBe(false);
  });

  it.each([
    ['a NUL in a property value', track({ properties: { note: 'a\u0000b' } }), /^properties\.note contains a NUL character/],
    ['a NUL in a property key', track({ properties: { 'k\u0000': 1 } }), /^properties: a key contains a NUL character/],
    ['a NUL inside an array of objects', track({ properties: { items: [{ ok: 1 }, { note: 'a\u0000' }] } }), /^properties\.items\[1\]\.note contains a NUL character/],
    ['a NUL in a key inside an array', track({ properties: { items: [[{ 'k\u0000': 1 }]] } }), /^properties\.items\[0\]\[0\]: a key contains a NUL character/],
    ['a NUL in the userId', track({ userId: 'u\u0000' }), /^userId contains a NUL character/],
    ['a NUL in the event name', track({ event: 'Signed\u0000Up' }), /^event contains a NUL character/],
    ['an unpaired surrogate in a trait', { type: 'identify', userId: 'u1', traits: { name: 'x\ud800y' } }, /^traits\.name contains an unpaired UTF-16 surrogate/],
  ])('refuses %s, which PostgreSQL cannot store, naming where', (_name, raw, reason) => {
    const result = validateEvent(raw, options);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('keeps a well-formed surrogate pair (an emoji)', () => {
    expect(validateEvent(track({ properties: { mood: '😀' } }), options).ok).toBe(true);
  });

  it('stores a timestamp in the future as the time received, and says so', () => {
    const result = validateEvent(track({ timestamp: '9999-12-31T23:59:59Z' }), options);
    expect(result).toMatchObject({ ok: true, notice: expect.stringMatching(/^timestamp 9999-12-31T23:59:59\.000Z is in the future: stored as the time received, 2026-11-25T12:00:00\.000Z$/) });
    expect(result.ok && result.event.timestamp).toEqual(receivedAt);
    expect(result.ok && result.event.originalTimestamp).toEqual(new Date('9999-12-31T23:59:59Z'));
  });

  it('keeps a timestamp within the tolerance, which is configurable', () => {
    const soon = new Date(receivedAt.getTime() + 5 * 60_000).toISOString();
    expect(validateEvent(track({ timestamp: soon }), options)).toMatchObject({ ok: true, event: { timestamp: new Date(soon) } });
    expect(validateEvent(track({ timestamp: soon }), { ...options, futureToleranceMs: 1000 })).toMatchObject({ ok: true, notice: expect.any(String) });
  });

  it('refuses a time that clock-skew correction pushes before 1900 (out of the database range)', () => {
    const result = validateEvent(track({ timestamp: '0001-01-01T00:00:00Z', sentAt: '9999-01-01T00:00:00Z' }), options);
    expect(result).toEqual({ ok: false, reason: 'timestamp is before 1900-01-01 after correcting for the client clock (sentAt): a broken clock' });
  });

  it('never throws, and every accepted event can be serialized and stored (no NUL, no lone surrogate, bounded depth, a valid date)', () => {
    const hostileKey = fc.constantFrom('__proto__', 'constructor', 'toString', 'a\u0000', '\ud800', '', 'type');
    const hostileString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('\u0000', '\ud800', '\udfff', 'x'.repeat(300)));
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        hostileString,
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), hostileKey), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    const date = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', 'tuesday', '2026-02-30T00:00:00Z'), hostileString);
    const event = fc.record(
      {
        type: fc.constantFrom('track', 'identify', 'page', 'screen', 'group', 'alias', '__proto__'),
        event: hostileString,
        userId: fc.oneof(hostileString, fc.integer(), fc.constant(null)),
        anonymousId: hostileString,
        previousId: hostileString,
        groupId: hostileString,
        properties: value,
        traits: value,
        context: value,
        timestamp: date,
        sentAt: date,
      },
      { requiredKeys: [] },
    );
    // a plausible event with hostile content where it may go, so that many are accepted
    const plausible = fc.record({
      type: fc.constant('track'),
      event: fc.string({ minLength: 1, maxLength: 20 }),
      userId: fc.string({ minLength: 1, maxLength: 20 }),
      properties: fc.dictionary(fc.oneof(fc.string(), hostileKey), value, { maxKeys: 4 }),
      timestamp: date,
    });
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(plausible, event, value), (raw) => {
        const result = validateEvent(raw, options);
        if (!result.ok) {
          expect(result.reason.length).toBeLessThan(400);
          return;
        }
        accepted++;
        const stored = result.event;
        expect(jsonShapeProblem(stored)).toBeNull();
        expect(() => JSON.stringify(stored)).not.toThrow();
        expect(Number.isFinite(stored.timestamp.getTime())).toBe(true);
        expect(stored.timestamp.getTime()).toBeLessThanOrEqual(receivedAt.getTime() + 10 * 60_000);
      }),
      { seed: 1202, numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
