import { PIPELINE_STAGES } from '../../../../../subgraphs/common/pipeline-stages';
import { scannedJobOf, summarizePipelineLag, type PipelineLagInput, type QueueReading } from '../../../../../subgraphs/signals/domain/pipeline/pipeline-lag';

const NOW = 1_000_000;
const queue = (stage: QueueReading['stage'], over: Partial<QueueReading> = {}): QueueReading => ({ stage, waiting: 0, active: 0, delayed: 0, failed: 0, scanned: [], complete: true, ...over });
const input = (over: Partial<PipelineLagInput> = {}): PipelineLagInput => ({
  stages: PIPELINE_STAGES,
  queues: [queue('resolve'), queue('detect'), queue('detect'), queue('risk'), queue('risk'), queue('alerts'), queue('traits'), queue('segments')],
  backlog: [],
  rates: [],
  tenants: ['acme'],
  now: NOW,
  thresholdMs: 2000,
  ...over,
});

describe('summarizePipelineLag', () => {
  it('is caught up with empty queues and no stored backlog, and still lists the tenant asked for', () => {
    const lag = summarizePipelineLag(input());
    expect(lag.caughtUp).toBe(true);
    expect(lag.stages.map((s) => [s.stage, s.oldestWaitingAgeMs, s.unprocessedEvents, s.handedOnEvents])).toEqual([
      ['resolve', null, 0, null],
      ['detect', null, null, null],
      ['risk', null, null, 0],
      ['alerts', null, null, 0],
      ['traits', null, null, null],
      ['segments', null, null, null],
    ]);
    expect(lag.tenants).toEqual([
      {
        tenantId: 'acme',
        caughtUp: true,
        stages: expect.arrayContaining([expect.objectContaining({ stage: 'risk', pendingEvents: 0 })]),
        inFlightEvents: 0,
        inFlightHistoryEvents: 0,
        maxInFlightEvents: null,
      },
    ]);
  });

  it.each([
    ['a job younger than the threshold', 1500, true],
    ['a job exactly at the threshold', 2000, true],
    ['a job older than the threshold', 2001, false],
  ])('judges a stage by its oldest job: %s', (_name, age, caughtUp) => {
    const lag = summarizePipelineLag(input({ queues: [queue('risk', { waiting: 1, scanned: [{ tenantId: 'acme', events: 3, createdAt: NOW - age }] })] }));
    const risk = lag.stages.find((s) => s.stage === 'risk')!;
    expect(risk).toMatchObject({ waiting: 1, oldestWaitingAgeMs: age, caughtUp });
    expect(lag.caughtUp).toBe(caughtUp);
    expect(lag.tenants[0].stages.find((s) => s.stage === 'risk')).toMatchObject({ pendingEvents: 3, caughtUp });
  });

  it('counts unprocessed stored events into resolve, even with its queue empty (a Redis flush)', () => {
    const lag = summarizePipelineLag(input({ backlog: [{ tenantId: 'acme', unprocessed: 40, oldestReceivedAt: NOW - 60_000 }, { tenantId: 'other', unprocessed: 2, oldestReceivedAt: NOW - 1000 }] }));
    expect(lag.stages[0]).toMatchObject({ stage: 'resolve', waiting: 0, unprocessedEvents: 42, oldestWaitingAgeMs: 60_000, caughtUp: false });
    expect(lag.tenants).toHaveLength(1);
    expect(lag.tenants[0].stages[0]).toMatchObject({ pendingEvents: 40, oldestWaitingAgeMs: 60_000, caughtUp: false });
  });

  it('counts hand-offs marked in SQL into risk and alerts, even with their queues empty (a Redis flush), as the larger count and the older age', () => {
    const lag = summarizePipelineLag(
      input({
        queues: [queue('risk', { waiting: 1, scanned: [{ tenantId: 'acme', events: 30, createdAt: NOW - 500 }] }), queue('alerts')],
        handOffs: [
          { stage: 'risk', tenantId: 'acme', pending: 12, oldestPendingSince: NOW - 1000 },
          { stage: 'alerts', tenantId: 'acme', pending: 7, oldestPendingSince: NOW - 300_000 },
          { stage: 'alerts', tenantId: 'other', pending: 3, oldestPendingSince: NOW - 1000 },
        ],
      }),
    );
    const stage = (name: string) => lag.stages.find((s) => s.stage === name)!;
    expect(stage('risk')).toMatchObject({ handedOnEvents: 12, oldestWaitingAgeMs: 1000, caughtUp: true });
    expect(stage('alerts')).toMatchObject({ waiting: 0, handedOnEvents: 10, oldestWaitingAgeMs: 300_000, caughtUp: false });
    expect(lag.caughtUp).toBe(false);
    const own = (name: string) => lag.tenants[0].stages.find((s) => s.stage === name)!;
    // the queued job carries more than the markers counted when they were read: the larger count
    expect(own('risk')).toMatchObject({ pendingEvents: 30, oldestWaitingAgeMs: 1000, caughtUp: true });
    expect(own('alerts')).toMatchObject({ pendingEvents: 7, oldestWaitingAgeMs: 300_000, caughtUp: false });
    // operators see every tenant with a hand-off pending
    expect(summarizePipelineLag(input({ tenants: 'all', handOffs: [{ stage: 'alerts', tenantId: 'other', pending: 3, oldestPendingSince: NOW - 1000 }] })).tenants.map((t) => t.tenantId)).toEqual(['other']);
  });

  it('sums counts over a stage’s queues and takes the oldest job of any of them', () => {
    const lag = summarizePipelineLag(
      input({
        queues: [
          queue('detect', { waiting: 2, failed: 1, scanned: [{ tenantId: 'a', events: 1, createdAt: NOW - 100 }] }),
          queue('detect', { delayed: 3, active: 1, scanned: [{ tenantId: 'b', events: 200, createdAt: NOW - 5000 }] }),
        ],
        tenants: 'all',
      }),
    );
    expect(lag.stages[1]).toMatchObject({ waiting: 2, active: 1, delayed: 3, failed: 1, oldestWaitingAgeMs: 5000, caughtUp: false });
    expect(lag.tenants.map((t) => [t.tenantId, t.caughtUp, t.stages[1].pendingEvents])).toEqual([
      ['a', true, 1],
      ['b', false, 200],
    ]);
  });

  it('does not call a tenant caught up on a partial scan while the stage as a whole is behind', () => {
    const lag = summarizePipelineLag(input({ queues: [queue('risk', { waiting: 5000, complete: false, scanned: [{ tenantId: 'other', events: 1, createdAt: NOW - 9000 }] })] }));
    expect(lag.tenants[0].stages.find((s) => s.stage === 'risk')).toMatchObject({ pendingEvents: 0, partial: true, caughtUp: false });
  });

  it('gives each stage and tenant its metered rate, zero when none', () => {
    const lag = summarizePipelineLag(
      input({
        rates: [
          { stage: 'risk', tenantId: null, perSecond: 12.5 },
          { stage: 'risk', tenantId: 'acme', perSecond: 2 },
          { stage: 'segments', tenantId: 'acme', perSecond: 0.5 },
        ],
      }),
    );
    expect(lag.stages.map((s) => s.eventsPerSecond)).toEqual([0, 0, 12.5, 0, 0, 0]);
    expect(lag.tenants[0].stages.map((s) => s.eventsPerSecond)).toEqual([0, 0, 2, 0, 0, 0.5]);
  });

  it('gives each tenant its events in flight per lane and its share, and lists every tenant with some for operators', () => {
    const inFlight = [
      { tenantId: 'acme', live: 12, history: 300, maxInFlight: 10_000 },
      { tenantId: 'importer', live: 0, history: 40, maxInFlight: 500 },
      { tenantId: 'idle', live: 0, history: 0, maxInFlight: 10_000 },
    ];
    const own = summarizePipelineLag(input({ inFlight }));
    expect(own.tenants[0]).toMatchObject({ tenantId: 'acme', inFlightEvents: 12, inFlightHistoryEvents: 300, maxInFlightEvents: 10_000 });
    const all = summarizePipelineLag(input({ tenants: 'all', inFlight }));
    expect(all.tenants.map((t) => [t.tenantId, t.inFlightHistoryEvents])).toEqual([
      ['acme', 300],
      ['importer', 40],
    ]);
  });

  it('gives each stage and tenant its metered wait and run percentiles, null when no job finished', () => {
    const lag = summarizePipelineLag(
      input({
        timings: [
          { stage: 'resolve', tenantId: null, waitP50Ms: 40, waitP99Ms: 900, runP50Ms: 12, runP99Ms: 60 },
          { stage: 'resolve', tenantId: 'acme', waitP50Ms: 30, waitP99Ms: 700, runP50Ms: 10, runP99Ms: 50 },
          { stage: 'risk', tenantId: 'other', waitP50Ms: 5_000, waitP99Ms: 9_000, runP50Ms: 1, runP99Ms: 2 },
        ],
      }),
    );
    expect(lag.stages[0]).toMatchObject({ waitP50Ms: 40, waitP99Ms: 900, runP50Ms: 12, runP99Ms: 60 });
    expect(lag.stages[2]).toMatchObject({ waitP50Ms: null, waitP99Ms: null });
    expect(lag.tenants[0].stages[0]).toMatchObject({ waitP50Ms: 30, waitP99Ms: 700, runP50Ms: 10, runP99Ms: 50 });
    // another tenant's waits are never shown as this one's
    expect(lag.tenants[0].stages[2]).toMatchObject({ waitP50Ms: null, waitP99Ms: null });
  });
});

describe('scannedJobOf', () => {
  it.each([
    ['a resolve or event-resolved batch', { tenantId: 't', events: [{}, {}, {}] }, { tenantId: 't', events: 3 }],
    ['a record-activity or set-computed-traits batch', { tenantId: 't', items: [{}, {}] }, { tenantId: 't', events: 2 }],
    ['an evaluate-segments batch (profiles)', { tenantId: 't', profileIds: ['a', 'b', 'c', 'd'] }, { tenantId: 't', events: 4 }],
    ['a signal-alerts batch (signals)', { tenantId: 't', signals: [{}, {}] }, { tenantId: 't', events: 2 }],
    ['a playbook-events batch (events for waiting runs)', { tenantId: 't', events: [{}, {}], pendingSince: '2026-12-03T10:00:00.000Z' }, { tenantId: 't', events: 2 }],
    ['a journey-alerts batch (journey states)', { tenantId: 't', states: [{}, {}, {}], pending: [] }, { tenantId: 't', events: 3 }],
    ['a per-event job', { tenantId: 't', profileId: 'p' }, { tenantId: 't', events: 1 }],
    ['a scheduler tick', {}, { tenantId: null, events: 1 }],
    ['no payload', null, { tenantId: null, events: 1 }],
  ])('reads %s', (_name, data, expected) => {
    expect(scannedJobOf(data, 5)).toEqual({ ...expected, createdAt: 5 });
  });
});
