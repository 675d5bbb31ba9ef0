import { partitionJourneyEvents } from '../../../../../subgraphs/signals/domain/journeys/progress';
import { detectJourneyRetryLoops, retryLoopFinding } from '../../../../../subgraphs/signals/domain/journeys/retry-loop';
import { ev, MIN, names, ONBOARDING, shuffled } from './fixtures';

const start = ev('Account Opening Started', 0);
const failed = (min: number) => ev('ID Upload Failed', min);
const loopsOf = (events: ReturnType<typeof ev>[]) =>
  partitionJourneyEvents(ONBOARDING, events).flatMap((p) => detectJourneyRetryLoops(ONBOARDING, p, names(events)));

describe('detectJourneyRetryLoops', () => {
  it.each([
    ['flags three failed uploads within ten minutes', [start, failed(1), failed(3), failed(5)], [['id_upload', 'failure', 3]]],
    ['ignores failures spread over an hour', [start, failed(1), failed(30), failed(60)], []],
    ['ignores two failures', [start, failed(1), failed(2)], []],
    ['does not count a retry after success', [start, failed(1), failed(2), ev('ID Uploaded', 3), failed(4)], []],
    ['counts the step event repeated without progress', [start, ev('Account Opening Started', 1), ev('Account Opening Started', 2)], [['started', 'repeat', 3]]],
    ['does not count the step event once a later step is reached', [start, ev('ID Uploaded', 1), ev('Account Opening Started', 2), ev('Account Opening Started', 3)], []],
    ['keeps a longer run as one loop', [start, failed(1), failed(2), failed(3), failed(4), failed(5)], [['id_upload', 'failure', 5]]],
    ['finds a second loop after the window', [start, failed(1), failed(2), failed(3), failed(20), failed(21), failed(22)], [['id_upload', 'failure', 3], ['id_upload', 'failure', 3]]],
    ['ignores failures before the journey started', [failed(-3), failed(-2), failed(-1), start], []],
  ])('%s', (_name, events, expected) => {
    expect(loopsOf(events).map((l) => [l.stepKey, l.kind, l.events.length])).toEqual(expected);
  });

  it('finds the same loops whatever the arrival order', () => {
    const events = [start, failed(1), failed(3), ev('ID Uploaded', 4), failed(5), failed(6), failed(7)];
    const expected = loopsOf(events);
    for (const order of shuffled(events)) expect(loopsOf(order)).toEqual(expected);
    // the last three come after the upload succeeded
    expect(expected).toEqual([]);
  });
});

describe('retryLoopFinding', () => {
  it('explains three failed ID uploads in 4 min, detected at the third', () => {
    const events = [start, failed(1), failed(3), failed(5)];
    const [loop] = loopsOf(events);
    const finding = retryLoopFinding(ONBOARDING, loop, { profileId: 'p1', instanceId: 'i1', journeyId: 'j1', journeyName: 'Account opening' });
    expect(finding).toMatchObject({
      type: 'retry_loop',
      profileId: 'p1',
      journeyInstanceId: 'i1',
      severity: 0.6,
      detectedAt: events[3].timestamp,
      dedupeKey: `retry_loop-p1-i1.id_upload.failure-${events[1].timestamp.getTime()}`,
    });
    expect(finding.evidence).toMatchObject({
      summary: '3 failed attempts ("ID Upload Failed") in 4 min at step "id_upload" of "Account opening"',
      eventIds: events.slice(1).map((e) => e.eventId),
      attempts: 3,
      spanMs: 4 * MIN,
      step: 'id_upload',
      kind: 'failure',
      threshold: { count: 3, windowMs: 10 * MIN },
    });
  });

  it('keeps the dedupe key while the loop grows', () => {
    const ctx = { profileId: 'p1', instanceId: 'i1', journeyId: 'j1', journeyName: 'x' };
    const three = retryLoopFinding(ONBOARDING, loopsOf([start, failed(1), failed(2), failed(3)])[0], ctx);
    const four = retryLoopFinding(ONBOARDING, loopsOf([start, failed(1), failed(2), failed(3), failed(4)])[0], ctx);
    expect(four.dedupeKey).toBe(three.dedupeKey);
    expect(four.severity).toBeCloseTo(0.7);
  });
});
