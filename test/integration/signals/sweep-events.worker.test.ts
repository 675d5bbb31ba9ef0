import { RESOLVE_BATCH_MAX, RESOLVE_IDENTITY, SWEEP_EVENTS } from '../../../subgraphs/common/queues';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { resolveIdentityJobId } from '../../../subgraphs/signals/domain/events/resolve-identity-job';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { EventOutbox } from '../../../subgraphs/signals/services/event-outbox.service';
import { ingestGuardFor } from '../../../subgraphs/signals/services/ingest-guard.service';
import { IngestService } from '../../../subgraphs/signals/services/ingest.service';
import { SWEEP_EVENTS_SCHEDULER, sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const PROFILE = '01a21226-0000-7000-8000-00000000000a';

async function startSignals(extra: Record<string, string>): Promise<{ env: TestEnv; signals: RunningSubgraph }> {
  const env = await createTestEnv({ SWEEP_GRACE_MS: '0', ...extra });
  return { env, signals: await runSubgraph(signalsSubgraph, env.config, { port: 0 }) };
}

function helpers(signals: () => RunningSubgraph) {
  const queue = () => signals().deps.queues.get(RESOLVE_IDENTITY);
  return {
    queue,
    ingest: (tenantId: string, count: number, prefix: string) =>
      new IngestService(forkAcrossTenants(signals().deps.orm), { tenantId, keyId: 'k', scopes: ['events:write'] }, signals().deps, ingestGuardFor(signals().deps)).ingest(
        Array.from({ length: count }, (_, i) => ({ type: 'track', event: 'Viewed', anonymousId: 'a1', messageId: `${prefix}-${i}` })),
        { receivedAt: new Date() },
      ),
    eventsOf: (tenantId: string) => forkAcrossTenants(signals().deps.orm).find(Event, { tenantId }),
    jobIds: async () => new Set((await queue().getJobs(['waiting', 'prioritized', 'active', 'delayed', 'completed'])).map((j) => j.id)),
    /** The events the queue's jobs carry. */
    queuedEvents: async () => new Set((await queue().getJobs(['waiting', 'prioritized', 'active', 'delayed', 'completed'])).flatMap((j) => j.data.events.map((e) => e.eventId))),
  };
}

describe('the sweep-events job scheduler', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  const { queue, ingest, eventsOf, jobIds } = helpers(() => signals);

  beforeAll(async () => {
    // no grace: an unprocessed event is due as soon as it is stored; a tick every 300 ms
    ({ env, signals } = await startSignals({ SWEEP_INTERVAL_MS: '300' }));
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  it('is registered once, repeating at the configured interval', async () => {
    const schedulers = await signals.deps.queues.get(SWEEP_EVENTS).getJobSchedulers();
    expect(schedulers).toEqual([expect.objectContaining({ key: SWEEP_EVENTS_SCHEDULER, every: 300 })]);
  });

  it('queues every unprocessed event again by itself, with the same job id, after the queue was emptied', async () => {
    await ingest('t1', 3, 'lost');
    const events = await eventsOf('t1');
    // the request's three events went out as one job, and come back as the same one
    const expected = resolveIdentityJobId('t1', events.map((e) => e.id));
    expect(await jobIds()).toEqual(new Set([expected]));
    // what a Redis flush does to this test's own queue (never FLUSHALL: other tests share Redis)
    await queue().obliterate({ force: true });
    await waitFor(async () => (await jobIds()).has(expected), 10_000, 100);
    const job = await queue().getJob(expected);
    expect(job?.data.tenantId).toBe('t1');
    expect(job?.data.events.map((e) => [e.eventId, e.type, e.name, e.anonymousId])).toEqual(events.map((e) => [e.id, 'track', 'Viewed', 'a1']));
  });

  it('schedules itself again when Redis lost the schedule (a restart without persistence)', async () => {
    const sweeps = signals.deps.queues.get(SWEEP_EVENTS);
    // every key of the queue, the schedule included (not asserted: the check may restore it at once)
    await sweeps.obliterate({ force: true });
    await waitFor(async () => (await sweeps.getJobScheduler(SWEEP_EVENTS_SCHEDULER)) !== undefined, 5_000, 50);
    expect(await sweeps.getJobSchedulers()).toEqual([expect.objectContaining({ key: SWEEP_EVENTS_SCHEDULER, every: 300 })]);
  });
});

describe('sweepEvents', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  const { queue, ingest, eventsOf, queuedEvents } = helpers(() => signals);

  beforeAll(async () => {
    // the scheduled sweep stays out of the way (hourly): these tests sweep by hand
    ({ env, signals } = await startSignals({ SWEEP_INTERVAL_MS: '3600000' }));
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  it('leaves processed events alone', async () => {
    await ingest('t2', 2, 'done');
    const [processed, pending] = await eventsOf('t2');
    await forkAcrossTenants(signals.deps.orm).nativeUpdate(Event, { id: processed.id }, { processedAt: new Date(), profileId: PROFILE });
    await queue().obliterate({ force: true });
    await sweepEvents(signals.deps);
    const queued = await queuedEvents();
    expect(queued.has(pending.id)).toBe(true);
    expect(queued.has(processed.id)).toBe(false);
  });

  it('waits out the grace period before queueing an event again', async () => {
    await ingest('t3', 1, 'recent');
    await queue().obliterate({ force: true });
    const patient = new EventOutbox(forkAcrossTenants(signals.deps.orm), { ...signals.deps, config: { ...env.config, ingest: { ...env.config.ingest, sweepGraceMs: 60_000 } } });
    expect(await patient.sweep()).toBe(0);
    const [event] = await eventsOf('t3');
    expect((await queuedEvents()).has(event.id)).toBe(false);
    await new EventOutbox(forkAcrossTenants(signals.deps.orm), signals.deps).sweep();
    expect((await queuedEvents()).has(event.id)).toBe(true);
  });

  it('queues an event whose first enqueue never happened (crash between commit and enqueue)', async () => {
    await ingest('t4', 1, 'crash');
    const [event] = await eventsOf('t4');
    await forkAcrossTenants(signals.deps.orm).nativeUpdate(Event, { id: event.id }, { enqueuedAt: null });
    await queue().obliterate({ force: true });
    await sweepEvents(signals.deps);
    expect((await queuedEvents()).has(event.id)).toBe(true);
    expect((await eventsOf('t4'))[0].enqueuedAt).toBeInstanceOf(Date);
  });

  it('sweeps in pages until every due event is queued', async () => {
    await ingest('t5', 1200, 'many');
    await queue().obliterate({ force: true });
    // t2's pending event, t3's and t4's are still unprocessed too
    expect(await sweepEvents(signals.deps)).toBe(1203);
    const queued = await queuedEvents();
    expect((await eventsOf('t5')).every((e) => queued.has(e.id))).toBe(true);
    // in jobs of one tenant each, at most RESOLVE_BATCH_MAX events a job
    const jobs = await queue().getJobs(['waiting', 'prioritized']);
    expect(jobs.every((j) => j.data.events.length <= RESOLVE_BATCH_MAX && j.data.events.every((e) => e.tenantId === j.data.tenantId))).toBe(true);
    expect(jobs.filter((j) => j.data.tenantId === 't5').reduce((n, j) => n + j.data.events.length, 0)).toBe(1200);
  });
});
