import { formatPipelineLag, isFarBehind } from '../../../scripts/pipeline-lag-line';
import type { PipelineLag, StageLag } from '../../../subgraphs/signals/domain/pipeline/pipeline-lag';

const stage = (over: Partial<StageLag> & Pick<StageLag, 'stage'>): StageLag => ({
  waiting: 0,
  active: 0,
  delayed: 0,
  failed: 0,
  unprocessedEvents: null,
  handedOnEvents: null,
  oldestWaitingAgeMs: null,
  eventsPerSecond: 0,
  waitP50Ms: null,
  waitP99Ms: null,
  runP50Ms: null,
  runP99Ms: null,
  caughtUp: true,
  ...over,
});
const lag = (stages: StageLag[]): PipelineLag => ({ caughtUp: stages.every((s) => s.caughtUp), stages, tenants: [] });

describe('formatPipelineLag', () => {
  it('gives each stage its lag and backlog, and ok for an empty one', () => {
    const line = formatPipelineLag(
      lag([
        stage({ stage: 'resolve', unprocessedEvents: 1234, waiting: 3, oldestWaitingAgeMs: 65_000, eventsPerSecond: 210.4, caughtUp: false }),
        stage({ stage: 'detect', unprocessedEvents: null }),
        stage({ stage: 'risk', waiting: 12, failed: 1, handedOnEvents: 0, oldestWaitingAgeMs: 45_000, eventsPerSecond: 80, caughtUp: false }),
        stage({ stage: 'alerts', handedOnEvents: 0 }),
      ]),
    );
    expect(line).toBe('pipeline behind: resolve 1:05 (1,234 unprocessed, 3 waiting, 210/s) · detect ok · risk 0:45 (12 waiting, 1 failed, 80/s) · alerts ok');
  });

  it('shows hand-offs a stage has not acknowledged, with its queues empty (their jobs lost to a Redis flush)', () => {
    const line = formatPipelineLag(lag([stage({ stage: 'alerts', handedOnEvents: 2500, oldestWaitingAgeMs: 400_000, caughtUp: false })]));
    expect(line).toBe('pipeline behind: alerts 6:40 (2,500 handed on, 0/s)');
  });
});

describe('isFarBehind', () => {
  it.each([
    [null, false],
    [30_000, false],
    [30_001, true],
  ])('oldest %p ms → %p', (age, behind) => {
    expect(isFarBehind(lag([stage({ stage: 'risk', oldestWaitingAgeMs: age })]))).toBe(behind);
  });
});
