import { asBatch } from '../../../subgraphs/signals/workers/event-resolved.worker';

const eventId = '0190a5e0-0000-7000-8000-000000000001';
const profileId = '0190a5e0-0000-7000-8000-000000000002';

describe('asBatch (event-resolved payloads)', () => {
  it('keeps the history lane, so an import stays behind live work at the next stages too', () => {
    expect(asBatch({ tenantId: 't', events: [{ eventId, profileId }], lane: 'history' })).toEqual({ tenantId: 't', events: [{ eventId, profileId }], lane: 'history' });
  });

  it('reads a batch without a lane as live, and an unknown lane as live', () => {
    expect(asBatch({ tenantId: 't', events: [{ eventId, profileId }] })).toEqual({ tenantId: 't', events: [{ eventId, profileId }] });
    expect(asBatch({ tenantId: 't', events: [{ eventId, profileId }], lane: 'vip' } as never)).toEqual({ tenantId: 't', events: [{ eventId, profileId }] });
  });

  it('keeps a sweeper re-send marker and refuses a malformed batch', () => {
    expect(asBatch({ tenantId: 't', events: [{ eventId, profileId: null }], resend: 'swept1' })?.resend).toBe('swept1');
    expect(asBatch({ tenantId: 't', events: [{ eventId: 'nope', profileId }] })).toBeNull();
    expect(asBatch({ tenantId: '', events: [{ eventId, profileId }] })).toBeNull();
  });
});
