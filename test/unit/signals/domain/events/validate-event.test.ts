import { createHash } from 'node:crypto';

import { MAX_EVENT_BYTES } from '../../../../../subgraphs/common/segment-api';
import { parseTimestamp, validateEvent, type ValidateEventOptions } from '../../../../../subgraphs/signals/domain/events/validate-event';

const receivedAt = new Date('2026-11-25T12:00:00.000Z');
const options: ValidateEventOptions = {
  receivedAt,
  digest: (text) => createHash('sha256').update(text).digest('hex'),
};
const track = (over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Signed Up', userId: 'u1', messageId: 'm1', ...over });

describe('validateEvent', () => {
  it.each([
    ['a track with userId', track()],
    ['a track with only anonymousId', track({ userId: undefined, anonymousId: 'a1' })],
    ['an identify with traits', { type: 'identify', userId: 'u1', traits: { email: 'ada@example.com' } }],
    ['a page without a name', { type: 'page', anonymousId: 'a1' }],
    ['a screen with a name', { type: 'screen', userId: 'u1', name: 'Home' }],
    ['a group with groupId', { type: 'group', userId: 'u1', groupId: 'g1' }],
    ['an alias with previousId and userId', { type: 'alias', previousId: 'a1', userId: 'u1' }],
    ['a numeric userId', track({ userId: 42 })],
    ['null optional fields', track({ properties: null, context: null, timestamp: null, anonymousId: null })],
    ['a timestamp with an offset and microseconds', track({ timestamp: '2026-11-25T13:00:00.123456+01:00' })],
  ])('accepts %s', (_name, raw) => {
    const result = validateEvent(raw, options);
    expect(result).toMatchObject({ ok: true });
  });

  it.each([
    ['a non-object', 'hello', 'an event must be a JSON object'],
    ['an array', [track()], 'an event must be a JSON object'],
    ['an unknown type', track({ type: 'purchase' }), 'type must be one of identify, track, page, screen, group, alias (got "purchase")'],
    ['a missing type', { userId: 'u1' }, 'type must be one of identify, track, page, screen, group, alias (got nothing)'],
    ['a track without event', track({ event: undefined }), 'track needs event (a non-empty string)'],
    ['a track with a blank event', track({ event: '  ' }), 'track needs event (a non-empty string)'],
    ['an identify without any id', { type: 'identify', traits: {} }, 'identify needs userId or anonymousId'],
    ['an empty-string userId and no anonymousId', track({ userId: '' }), 'track needs userId or anonymousId'],
    ['an alias without previousId', { type: 'alias', userId: 'u1' }, 'alias needs previousId and userId'],
    ['an alias without userId', { type: 'alias', previousId: 'a1', anonymousId: 'a1' }, 'alias needs previousId and userId'],
    ['a group without groupId', { type: 'group', userId: 'u1' }, 'group needs groupId'],
    ['a numeric messageId', track({ messageId: 7 }), 'messageId must be a string (got 7)'],
    ['a messageId over 255 characters', track({ messageId: 'm'.repeat(256) }), 'messageId is longer than 255 characters'],
    ['an object userId', track({ userId: { id: 1 } }), 'userId must be a string (got an object)'],
    ['array properties', track({ properties: [1] }), 'properties must be a JSON object (got an array)'],
    ['string traits', { type: 'identify', userId: 'u1', traits: 'vip' }, 'traits must be a JSON object (got "vip")'],
    ['a timestamp without a zone', track({ timestamp: '2026-11-25T12:00:00' }), 'timestamp must be an ISO-8601 date-time with a time zone (got "2026-11-25T12:00:00")'],
    ['a non-date timestamp', track({ timestamp: 'yesterday' }), 'timestamp must be an ISO-8601 date-time with a time zone (got "yesterday")'],
    ['an impossible date', track({ timestamp: '2026-13-45T12:00:00Z' }), 'timestamp must be an ISO-8601 date-time with a time zone (got "2026-13-45T12:00:00Z")'],
    ['a numeric sentAt', track({ sentAt: 1700000000 }), 'sentAt must be an ISO-8601 date-time with a time zone (got 1700000000)'],
    ['a page with a numeric name', { type: 'page', userId: 'u1', name: 5 }, 'name must be a string (got 5)'],
  ])('refuses %s', (_name, raw, reason) => {
    expect(validateEvent(raw, options)).toEqual({ ok: false, reason });
  });

  it('refuses an event over 32 KB and names its size', () => {
    const raw = track({ properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } });
    const result = validateEvent(raw, options);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^event is \d+ bytes, over the limit of 32768$/);
  });

  it('measures an event whose bound (the body it came in) is over the limit, and trusts a bound within it', () => {
    const raw = track({ properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } });
    expect(validateEvent(raw, { ...options, sizeAtMost: MAX_EVENT_BYTES + 100 }).ok).toBe(false);
    // a body within the limit cannot hold a larger event, so the event is not serialised again
    // (the bound here is false on purpose, to show that it is what decides)
    expect(validateEvent(raw, { ...options, sizeAtMost: MAX_EVENT_BYTES }).ok).toBe(true);
  });

  it('counts multi-byte characters as UTF-8 bytes for the size limit', () => {
    // 11,000 three-byte characters: 33,000 bytes although only 11,000 UTF-16 units
    const result = validateEvent(track({ properties: { text: '€'.repeat(11_000) } }), options);
    expect(result.ok).toBe(false);
  });

  it('normalizes a track: name from event, empty objects, numeric ids as strings', () => {
    const result = validateEvent(track({ userId: 42 }), options);
    expect(result).toEqual({
      ok: true,
      event: {
        messageId: 'm1',
        type: 'track',
        name: 'Signed Up',
        userId: '42',
        anonymousId: null,
        previousId: null,
        groupId: null,
        properties: {},
        traits: {},
        context: {},
        timestamp: receivedAt,
        originalTimestamp: null,
        sentAt: null,
        receivedAt,
      },
    });
  });

  it('lets the endpoint’s type override the event’s own', () => {
    const result = validateEvent({ type: 'track', userId: 'u1', traits: { plan: 'pro' } }, { ...options, impliedType: 'identify' });
    expect(result.ok && result.event.type).toBe('identify');
  });

  it('corrects the timestamp by the batch sentAt, and an event’s own sentAt wins', () => {
    const batchSentAt = new Date('2026-11-25T15:00:10.000Z');
    const fromBatch = validateEvent(track({ timestamp: '2026-11-25T15:00:00.000Z' }), { ...options, sentAt: batchSentAt });
    expect(fromBatch.ok && fromBatch.event.timestamp.toISOString()).toBe('2026-11-25T11:59:50.000Z');
    const own = validateEvent(track({ timestamp: '2026-11-25T15:00:00.000Z', sentAt: '2026-11-25T15:00:01.000Z' }), { ...options, sentAt: batchSentAt });
    expect(own.ok && own.event.timestamp.toISOString()).toBe('2026-11-25T11:59:59.000Z');
    expect(own.ok && own.event.originalTimestamp?.toISOString()).toBe('2026-11-25T15:00:00.000Z');
  });

  it('reads originalTimestamp when the event has no timestamp (RudderStack style)', () => {
    const result = validateEvent(track({ originalTimestamp: '2026-11-20T00:00:00Z' }), options);
    expect(result.ok && result.event.timestamp.toISOString()).toBe('2026-11-20T00:00:00.000Z');
  });

  describe('a missing messageId', () => {
    const withoutId = (over: Record<string, unknown> = {}) => track({ messageId: undefined, timestamp: '2026-11-25T11:00:00Z', ...over });
    const idOf = (raw: unknown, opts: Partial<ValidateEventOptions> = {}) => {
      const result = validateEvent(raw, { ...options, ...opts });
      if (!result.ok) throw new Error(result.reason);
      return result.event.messageId;
    };

    it('is derived as a SHA-256 of the event content', () => {
      expect(idOf(withoutId())).toMatch(/^sha256-[0-9a-f]{64}$/);
    });

    it.each([
      ['key order', { properties: { b: 2, a: 1 } }, { properties: { a: 1, b: 2 } }],
      ['a different sentAt and writeKey (a retry)', { sentAt: '2026-11-25T11:00:01Z', writeKey: 'k1' }, { sentAt: '2026-11-25T11:00:09Z' }],
    ])('does not depend on %s', (_name, a, b) => {
      expect(idOf(withoutId(a))).toBe(idOf(withoutId(b)));
    });

    it('differs when the content differs, and when the arrival time does not matter', () => {
      expect(idOf(withoutId({ event: 'Other' }))).not.toBe(idOf(withoutId()));
      expect(idOf(withoutId(), { receivedAt: new Date('2030-01-01T00:00:00Z') })).toBe(idOf(withoutId()));
    });
  });
});

describe('parseTimestamp', () => {
  it.each([
    ['2026-11-25T12:00:00Z', '2026-11-25T12:00:00.000Z'],
    ['2026-11-25T12:00Z', '2026-11-25T12:00:00.000Z'],
    ['2026-11-25T13:00:00.5+01:00', '2026-11-25T12:00:00.500Z'],
    ['2026-11-25t12:00:00z', '2026-11-25T12:00:00.000Z'],
  ])('reads %s', (text, iso) => {
    expect(parseTimestamp(text)?.toISOString()).toBe(iso);
  });

  it.each([[undefined], [null]])('answers null for %s', (value) => {
    expect(parseTimestamp(value)).toBeNull();
  });

  it.each([['2026-11-25'], ['2026-11-25 12:00:00Z'], ['12:00'], [0], [{}]])('answers undefined for %p', (value) => {
    expect(parseTimestamp(value)).toBeUndefined();
  });
});
