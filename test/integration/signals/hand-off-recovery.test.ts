import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { EVENT_RESOLVED, queueOptions, RECORD_ACTIVITY, type QueueName, type RecordActivityBatch, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { activityRecorded } from '../../../subgraphs/signals/workers/activity-recorded.worker';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { playbookEventsDone } from '../../../subgraphs/signals/workers/playbook-events-done.worker';
import { signalAlertsDone } from '../../../subgraphs/signals/workers/signal-alerts-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

/** A batch that dies between taking its events over and handing them on is re-driven from SQL (real Redis, real SQL). */
describe('the signals → risk hand-off after a crash', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let activity: Queue<RecordActivityJob | RecordActivityBatch>;

  beforeAll(async () => {
    // no grace: a pending hand-off is due at once; the scheduled sweep stays out of the way (the test sweeps)
    env = await createTestEnv({ SWEEP_GRACE_MS: '0', SWEEP_INTERVAL_MS: '3600000' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0 });
    activity = new Queue(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await activity?.close();
    await signals?.close();
    await env?.cleanup();
  });

  it('leaves the events pending when the record-activity add fails, and the sweeper re-drives them to one hand-off', async () => {
    const tenantId = 'crash';
    const profileId = uuidv7();
    const em = forkAcrossTenants(signals.deps.orm);
    const now = Date.now();
    const events = [
      em.create(Event, { tenantId, messageId: 'm1', type: 'identify', name: null, traits: { plan: 'pro' }, userId: 'u', timestamp: new Date(now - 2000), receivedAt: new Date(now) }),
      em.create(Event, { tenantId, messageId: 'm2', type: 'track', name: 'NPS Submitted', properties: { score: 1 }, userId: 'u', timestamp: new Date(now - 1000), receivedAt: new Date(now) }),
    ];
    await em.flush();
    const refs = events.map((e) => ({ eventId: e.id, profileId }));

    // fault injection on the queue add: Redis refuses the hand-off (the database stays real)
    const failing = {
      ...signals.deps,
      queues: {
        get: (name: QueueName) =>
          name === RECORD_ACTIVITY ? { add: () => Promise.reject(new Error('Redis went away')) } : signals.deps.queues.get(name as never),
      } as unknown as typeof signals.deps.queues,
    };
    await expect(eventResolved({ id: 'dies', data: { tenantId, events: refs } }, failing)).rejects.toThrow('Redis went away');
    const reload = () => forkAcrossTenants(signals.deps.orm).find(Event, { tenantId }, { orderBy: { timestamp: 'asc' } });
    expect((await reload()).map((e) => [e.processedAt !== null, e.handOffPendingSince !== null, e.profileId])).toEqual([
      [true, true, profileId],
      [true, true, profileId],
    ]);
    // the signal was stored, but not announced: the hand-off never happened
    const [signal] = await forkAcrossTenants(signals.deps.orm).find(Signal, { tenantId });
    expect(signal).toMatchObject({ type: 'negative_feedback', announcedAt: null });
    expect((await activity.getJobs()).filter((j) => j.data.tenantId === tenantId)).toEqual([]);

    // the sweeper finds them in SQL and queues an event-resolved batch; the running worker takes it
    // (the two events, the stored signal's hand-off to actions' alert rules and the named event's
    // hand-off to the playbook runs waiting for it, never queued either; with no grace the scheduled
    // tick may have re-driven the batch already, re-marking that hand-off a moment ago)
    expect(await sweepEvents(signals.deps, new Date(Date.now() + 1))).toBeGreaterThanOrEqual(3);
    await waitFor(async () => (await activity.getJobs()).some((j) => j.data.tenantId === tenantId));
    const jobs = (await activity.getJobs()).filter((j) => j.data.tenantId === tenantId);
    // a re-sent batch is a job of its own (with no grace the scheduled tick may have sent it too:
    // a replay at risk, which stores insert-or-ignore)
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    for (const job of jobs) expect(job.id).toMatch(new RegExp(`^${tenantId}-batch-${events[0].id}-${events[1].id}-swept\\d+$`));
    const items = (jobs[0].data as RecordActivityBatch).items;
    expect(items.map((i) => i.kind)).toEqual(['event', 'event', 'signal']);
    expect(items[0]).toMatchObject({ kind: 'event', type: 'identify', traits: { plan: 'pro' }, profileId });
    expect(items[2]).toMatchObject({ kind: 'signal', signalId: signal.id });
    // announced once the pass has queued its hand-offs (after the record-activity job above)
    await waitFor(async () => (await forkAcrossTenants(signals.deps.orm).findOneOrFail(Signal, { id: signal.id })).announcedAt instanceof Date);
    const resolved = new Queue(EVENT_RESOLVED, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      // (with no grace the scheduled tick may have swept them too: a replay, one hand-off all the same)
      const swept = (await resolved.getJobs()).filter((j) => j.data.tenantId === tenantId).map((j) => j.id);
      expect(swept.length).toBeGreaterThanOrEqual(1);
      for (const id of swept) expect(id).toMatch(new RegExp(`^${tenantId}-swept\\d+-${events[0].id}-${events[1].id}$`));
    } finally {
      await resolved.close();
    }
    // still pending until risk says it stored them; once it does, the next sweep queues nothing
    expect((await reload()).every((e) => e.handOffPendingSince !== null)).toBe(true);
    await activityRecorded({ id: 'ack', data: { tenantId, eventIds: events.map((e) => e.id) } }, signals.deps);
    expect((await reload()).every((e) => e.handOffPendingSince === null)).toBe(true);
    // and actions evaluated the signal's alert rules: nothing is outstanding
    await signalAlertsDone({ id: 'ack-alerts', data: { tenantId, signalIds: [signal.id] } }, signals.deps);
    // and matched the named event against its waiting runs
    await playbookEventsDone({ id: 'ack-runs', data: { tenantId, eventIds: [events[1].id], upTo: new Date().toISOString() } }, signals.deps);
    expect(await sweepEvents(signals.deps, new Date(Date.now() + 1))).toBe(0);
  });
});
