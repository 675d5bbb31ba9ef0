import { readSegmentBody } from '../../../../../subgraphs/signals/domain/events/segment-body';

describe('readSegmentBody', () => {
  it('reads a batch with its sentAt', () => {
    const result = readSegmentBody('batch', { batch: [{ type: 'track' }], sentAt: '2026-11-25T12:00:00Z', writeKey: 'k' });
    expect(result).toEqual({ events: [{ type: 'track' }], sentAt: new Date('2026-11-25T12:00:00Z'), impliedType: null });
  });

  it('takes a single-event body as the event, typed by the endpoint', () => {
    const body = { event: 'Clicked', userId: 'u1' };
    expect(readSegmentBody('track', body)).toEqual({ events: [body], sentAt: null, impliedType: 'track' });
  });

  it('applies a batch-level context under each event’s own', () => {
    const result = readSegmentBody('batch', {
      batch: [{ type: 'track', context: { ip: '1.2.3.4' } }, { type: 'page' }],
      context: { ip: '0.0.0.0', library: { name: 'x' } },
    });
    expect(typeof result !== 'string' && result.events).toEqual([
      { type: 'track', context: { ip: '1.2.3.4', library: { name: 'x' } } },
      { type: 'page', context: { ip: '0.0.0.0', library: { name: 'x' } } },
    ]);
  });

  it.each([
    ['a non-object body', 'batch', [1, 2], 'the body must be a JSON object'],
    ['a batch that is not an array', 'batch', { batch: {} }, 'batch must be an array of events'],
    ['a batch without batch', 'batch', {}, 'batch must be an array of events'],
    ['a bad sentAt', 'track', { sentAt: 'now' }, 'sentAt must be an ISO-8601 date-time with a time zone'],
  ] as const)('refuses %s', (_name, endpoint, body, reason) => {
    expect(readSegmentBody(endpoint, body)).toBe(reason);
  });
});
