import { instanceSnapshot } from '../../../../../subgraphs/signals/domain/journeys/instance-snapshot';

describe('instanceSnapshot', () => {
  it('turns stored ISO step times into dates and keeps the time-based fields', () => {
    const startedAt = new Date('2026-01-01T10:00:00Z');
    const snapshot = instanceSnapshot({
      state: 'stalled',
      startedAt,
      currentStep: 'upload',
      stepTimes: [
        { key: 'start', reachedAt: '2026-01-01T10:00:00.000Z', eventId: 'e1' },
        { key: 'upload', reachedAt: '2026-01-01T10:05:00.000Z', eventId: 'e2' },
      ],
      lastEventId: 'e2',
      lastSeenAt: new Date('2026-01-01T10:06:00Z'),
      stalledStep: 'upload',
      exitedAt: null,
    });
    expect(snapshot).toEqual({
      state: 'stalled',
      startedAt,
      currentStep: 'upload',
      steps: [
        { key: 'start', reachedAt: new Date('2026-01-01T10:00:00Z'), eventId: 'e1' },
        { key: 'upload', reachedAt: new Date('2026-01-01T10:05:00Z'), eventId: 'e2' },
      ],
      lastEventId: 'e2',
      lastSeenAt: new Date('2026-01-01T10:06:00Z'),
      stalledStep: 'upload',
      exitedAt: null,
    });
  });
});
