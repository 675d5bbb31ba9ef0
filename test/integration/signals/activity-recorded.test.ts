import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { ACTIVITY_RECORDED, queueOptions, RAISE_ALERTS, RECORD_ACTIVITY, type JobPayloads, type RecordActivityBatch, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { playbookEventsDone } from '../../../subgraphs/signals/workers/playbook-events-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

/**
 * The signals → risk hand-off is done when risk has stored the batch, not when its job is queued:
 * a `record-activity` job lost from Redis after it was queued (a flush) leaves the events pending,
 * the sweeper sends the batch again, and risk's acknowledgement (`activity-recorded`) clears them.
 * Signals runs its workers; the test runs risk's `record-activity` jobs itself (real Redis, real SQL).
 */
describe('activity-recorded', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let risk: RunningSubgraph;
  let activity: Queue<RecordActivityJob | RecordActivityBatch>;
  let alerts: Queue<JobPayloads[typeof RAISE_ALERTS]>;

  beforeAll(async () => {
    // no grace: a pending hand-off is due at once; the scheduled sweep stays out of the way (the test sweeps)
    env = await createTestEnv({ SWEEP_GRACE_MS: '0', SWEEP_INTERVAL_MS: '3600000', RISK_SCORE_DEBOUNCE_MS: '0' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0 });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    activity = new Queue(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
    alerts = new Queue(RAISE_ALERTS, queueOptions(signals.deps.redis, env.config.queuePrefix));
  }, 120_000);
  afterAll(async () => {
    await alerts?.close();
    await activity?.close();
    await risk?.close();
    await signals?.close();
    await env?.cleanup();
  });

  const tenantJobs = async (tenantId: string) => (await activity.getJobs(['waiting', 'prioritized', 'active', 'delayed'])).filter((j) => j.data.tenantId === tenantId);
  const pending = async (tenantId: string) => (await forkAcrossTenants(signals.deps.orm).find(Event, { tenantId })).filter((e) => e.handOffPendingSince !== null).length;
  const riskCounts = async (tenantId: string) => {
    const em = forkAcrossTenants(risk.deps.orm);
    const alertJobs = (await alerts.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId);
    return { events: await em.count(ActivityEvent, { tenantId }), scores: await em.count(RiskScore, { tenantId }), alerts: alertJobs.reduce((n, j) => n + ('changes' in j.data ? j.data.changes.length : 1), 0) };
  };

  it('keeps the events pending until risk stores them, sends a lost batch again, and a replay changes nothing in risk', async () => {
    const tenantId = 'flushed';
    const profiles = [uuidv7(), uuidv7(), uuidv7()];
    const em = forkAcrossTenants(signals.deps.orm);
    const now = Date.now();
    const events = Array.from({ length: 12 }, (_, i) =>
      em.create(Event, { tenantId, messageId: `m${i}`, type: 'track', name: i % 4 ? 'Screen Viewed' : 'Order Completed', properties: { revenue: 10 }, userId: `u${i % 3}`, timestamp: new Date(now - 60_000 + i * 1000), receivedAt: new Date(now) }),
    );
    // one event nobody could be attributed to: it goes nowhere, so its hand-off is done at once
    const orphan = em.create(Event, { tenantId, messageId: 'orphan', type: 'track', name: 'Screen Viewed', userId: null, timestamp: new Date(now), receivedAt: new Date(now) });
    await em.flush();
    const refs = [...events.map((e, i) => ({ eventId: e.id, profileId: profiles[i % 3] })), { eventId: orphan.id, profileId: null }];

    await eventResolved({ id: 'first', data: { tenantId, events: refs } }, signals.deps);
    expect(await pending(tenantId)).toBe(12);
    const [queued] = await tenantJobs(tenantId);
    expect(queued).toBeDefined();

    // Redis loses the job after it was queued (only this job's keys: Redis is shared)
    await queued.remove();
    expect(await tenantJobs(tenantId)).toEqual([]);

    // the sweeper sends the batch again, as a job of its own; risk stores it and acknowledges (the
    // same 12 named events are also owed to the playbook runs: no actions stage here acknowledges
    // them, so up to 24; the subgraph's own scheduled tick may have taken one of the two first)
    expect(await sweepEvents(signals.deps, new Date(Date.now() + 1))).toBeGreaterThanOrEqual(12);
    await waitFor(async () => (await tenantJobs(tenantId)).length === 1);
    const [again] = await tenantJobs(tenantId);
    expect(again.id).not.toBe(queued.id);
    await recordActivity(again, risk.deps);
    await waitFor(async () => (await pending(tenantId)) === 0);
    const stored = await riskCounts(tenantId);
    expect(stored).toEqual({ events: 12, scores: 3, alerts: 3 });
    // actions matched them against its waiting runs
    await playbookEventsDone({ id: 'ack-runs', data: { tenantId, eventIds: events.map((e) => e.id), upTo: new Date().toISOString() } }, signals.deps);
    expect(await sweepEvents(signals.deps, new Date(Date.now() + 1))).toBe(0);

    // risk running the batch twice (the lost job had run after all) stores nothing twice, scores
    // nothing twice and alerts nothing twice
    await recordActivity({ id: queued.id, data: queued.data }, risk.deps);
    await recordActivity(again, risk.deps);
    expect(await riskCounts(tenantId)).toEqual(stored);
    expect(await pending(tenantId)).toBe(0);
  }, 120_000);

  it('clears the markers of every acknowledgement taken into one pass, and fails a malformed one alone', async () => {
    const tenantId = 'acked-together';
    const em = forkAcrossTenants(signals.deps.orm);
    const now = Date.now();
    const events = Array.from({ length: 6 }, (_, i) =>
      em.create(Event, { tenantId, messageId: `a${i}`, type: 'track', name: 'Screen Viewed', userId: `u${i}`, timestamp: new Date(now), receivedAt: new Date(now) }),
    );
    await em.flush();
    await eventResolved({ id: 'together', data: { tenantId, events: events.map((e) => ({ eventId: e.id, profileId: uuidv7() })) } }, signals.deps);
    expect(await pending(tenantId)).toBe(6);
    // drop the hand-off job: the test acknowledges by hand, three jobs queued while the queue is paused
    for (const job of await tenantJobs(tenantId)) await job.remove();
    const acks = new Queue<JobPayloads[typeof ACTIVITY_RECORDED]>(ACTIVITY_RECORDED, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      await acks.pause();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await acks.add(ACTIVITY_RECORDED, { tenantId, eventIds: events.slice(i * 2, i * 2 + 2).map((e) => e.id) }, { jobId: `acked-${i}` })).id!);
      const malformed = await acks.add(ACTIVITY_RECORDED, { tenantId, eventIds: ['nope'] }, { jobId: 'acked-malformed' });
      await acks.resume();
      const state = async (id: string) => (await acks.getJob(id))?.getState();
      await waitFor(async () => (await Promise.all(ids.map(state))).every((st) => st === 'completed') && (await state(malformed.id!)) === 'failed');
      expect(await pending(tenantId)).toBe(0);
    } finally {
      await acks.close();
    }
  });
});
