import { Queue, UnrecoverableError } from 'bullmq';

import { SIGNAL_DETECTED } from '../../../subgraphs/common/pubsub';
import { EVENT_RESOLVED, queueOptions, RECORD_ACTIVITY, SCORE_PROFILE, type JobPayloads, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { FrictionSettingsService } from '../../../subgraphs/signals/services/friction-settings.service';
import { SignalService } from '../../../subgraphs/signals/services/signal.service';
import { detectFriction } from '../../../subgraphs/signals/workers/detect-friction.worker';
import { sweepFriction } from '../../../subgraphs/signals/workers/sweep-friction.worker';
import { listenTo, readyRedisPubSub, type TopicListener } from '../../fixtures/pubsub-listener';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const DEBOUNCE_MS = 1500;
const T0 = Date.parse('2026-11-25T10:00:00Z');
let profileSeq = 0;
const newProfile = () => `01a21226-0000-7000-8000-${String(++profileSeq).padStart(12, '0')}`;

describe('detectFriction', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let scoreQueue: Queue<JobPayloads[typeof SCORE_PROFILE]>;
  let activityQueue: Queue<JobPayloads[typeof RECORD_ACTIVITY]>;
  const shutdown = new Shutdown();
  let msgSeq = 0;

  beforeAll(async () => {
    env = await createTestEnv({ FRICTION_SCORE_DEBOUNCE_MS: String(DEBOUNCE_MS) });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0 });
    scoreQueue = new Queue(SCORE_PROFILE, queueOptions(signals.deps.redis, env.config.queuePrefix));
    activityQueue = new Queue(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await scoreQueue?.close();
    await activityQueue?.close();
    await shutdown.run();
    await signals?.close();
    await env?.cleanup();
  });

  /** A stored event already resolved to `profileId` (what the event-resolved worker leaves behind). */
  const store = async (tenantId: string, profileId: string | null, name: string, atMs: number, properties: Record<string, unknown> = {}) => {
    const em = forkAcrossTenants(signals.deps.orm);
    const at = new Date(atMs);
    const event = em.create(Event, {
      tenantId,
      messageId: `m-${++msgSeq}`,
      type: 'track',
      name,
      userId: 'u',
      properties,
      timestamp: at,
      receivedAt: at,
      profileId,
      processedAt: profileId ? new Date() : null,
    });
    await em.flush();
    return event;
  };
  const detect = (tenantId: string, event: Event) => detectFriction({ id: `${tenantId}-${event.id}`, data: { tenantId, eventId: event.id, profileId: event.profileId! } }, signals.deps);
  const signalsOf = (tenantId: string, profileId: string) => forkAcrossTenants(signals.deps.orm).find(Signal, { tenantId, profileId }, { orderBy: { detectedAt: 'asc' } });
  const scoreJobs = async (tenantId: string, profileId: string) =>
    (await scoreQueue.getJobs(['delayed', 'waiting', 'active', 'completed'])).filter((j) => j.data.tenantId === tenantId && j.data.profileId === profileId);
  /** Signal items handed to the risk stage (which re-scores the profile on each): record-activity batches. */
  const handedOnSignals = async (tenantId: string, profileId: string) =>
    (await activityQueue.getJobs(['delayed', 'waiting', 'prioritized', 'active', 'completed']))
      .flatMap((j) => ('items' in j.data ? j.data.items : [j.data]))
      .filter((i): i is Extract<RecordActivityJob, { kind: 'signal' }> => i.kind === 'signal' && i.tenantId === tenantId && i.profileId === profileId);
  const listen = async (tenantId: string): Promise<TopicListener<{ signalId: string; type: string; summary: string; profileId: string }>> =>
    listenTo(await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown), signals.deps.redis, SIGNAL_DETECTED, tenantId, env.config.queuePrefix);

  it('records a retry loop once, publishes it once and hands it to risk (no score-profile of its own), however often the jobs replay', async () => {
    const profileId = newProfile();
    const sub = await listen('t-loop');
    try {
      const events = [
        await store('t-loop', profileId, 'ID Upload Failed', T0),
        await store('t-loop', profileId, 'ID Upload Failed', T0 + 90_000),
        await store('t-loop', profileId, 'ID Upload Failed', T0 + 200_000),
      ];
      for (let round = 0; round < 3; round++) for (const e of events) await detect('t-loop', e);
      const stored = await signalsOf('t-loop', profileId);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        type: 'retry_loop',
        severity: 0.5,
        journeyInstanceId: null,
        evidence: { summary: '3 × "ID Upload Failed" in 3 min, no success in between', attempts: 3, eventIds: events.map((e) => e.id) },
      });
      expect(stored[0].announcedAt).toBeInstanceOf(Date);
      await waitFor(() => sub.events.length >= 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(sub.events).toEqual([expect.objectContaining({ signalId: stored[0].id, type: 'retry_loop', profileId, summary: stored[0].evidence.summary })]);
      // risk re-scores on the activity it receives: signals queues no score-profile itself
      expect(await scoreJobs('t-loop', profileId)).toEqual([]);
      const handed = await handedOnSignals('t-loop', profileId);
      expect(handed.length).toBeGreaterThanOrEqual(1);
      expect(new Set(handed.map((i) => i.signalId))).toEqual(new Set([stored[0].id]));
      expect(handed[0]).toMatchObject({ type: 'retry_loop', severity: 0.5, summary: stored[0].evidence.summary });
    } finally {
      await sub.stop();
    }
  });

  it('hands every new signal of a profile to risk in the batch that found it (risk debounces the re-score)', async () => {
    const profileId = newProfile();
    await detect('t-debounce', await store('t-debounce', profileId, 'NPS Submitted', T0, { score: 2 }));
    await detect('t-debounce', await store('t-debounce', profileId, 'CSAT Submitted', T0 + 1000, { score: 1 }));
    const stored = await signalsOf('t-debounce', profileId);
    expect(stored).toHaveLength(2);
    expect(new Set((await handedOnSignals('t-debounce', profileId)).map((i) => i.signalId))).toEqual(new Set(stored.map((s) => s.id)));
    expect(await scoreJobs('t-debounce', profileId)).toEqual([]);
  });

  it('still sends the follow-ups when a crash left the signal stored but unannounced', async () => {
    const profileId = newProfile();
    const event = await store('t-crash', profileId, 'NPS Submitted', T0, { score: 1 });
    // the first attempt stored the signal and died before publishing and queueing
    await new SignalService(forkAcrossTenants(signals.deps.orm), 't-crash').record({
      type: 'negative_feedback',
      profileId,
      severity: 0.9,
      detectedAt: event.timestamp,
      evidence: { summary: 'NPS detractor: scored 1 of 10', eventIds: [event.id] },
      dedupeKey: `negative_feedback-${profileId}-nps-${event.timestamp.getTime()}`,
    });
    expect((await signalsOf('t-crash', profileId))[0].announcedAt).toBeNull();
    const sub = await listen('t-crash');
    try {
      await detect('t-crash', event);
      await waitFor(() => sub.events.length >= 1);
      expect(sub.events[0]).toMatchObject({ type: 'negative_feedback', profileId });
      expect((await handedOnSignals('t-crash', profileId)).map((i) => i.type)).toEqual(['negative_feedback']);
      expect(await signalsOf('t-crash', profileId)).toEqual([expect.objectContaining({ announcedAt: expect.any(Date) })]);
    } finally {
      await sub.stop();
    }
  });

  it('applies the tenant’s own event names and thresholds', async () => {
    const profileId = newProfile();
    await new FrictionSettingsService(forkAcrossTenants(signals.deps.orm), 't-mapped').update({
      supportBurst: { events: ['Zendesk Ticket Opened'], minEvents: 2 },
      retryLoop: { minFailures: 4 },
    });
    const loop = [0, 10, 20].map((s) => store('t-mapped', profileId, 'Card Declined', T0 + s * 1000));
    for (const e of await Promise.all(loop)) await detect('t-mapped', e);
    expect(await signalsOf('t-mapped', profileId)).toEqual([]);
    await detect('t-mapped', await store('t-mapped', profileId, 'Card Declined', T0 + 30_000));
    await detect('t-mapped', await store('t-mapped', profileId, 'Zendesk Ticket Opened', T0 + 40_000));
    await detect('t-mapped', await store('t-mapped', profileId, 'Zendesk Ticket Opened', T0 + 50_000));
    expect((await signalsOf('t-mapped', profileId)).map((s) => [s.type, s.evidence.summary])).toEqual([
      ['retry_loop', '4 × "Card Declined" in 30 s, no success in between'],
      ['support_burst', '2 support tickets in 10 s'],
    ]);
  });

  it.each([
    ['a malformed payload', { tenantId: 't1' }],
    ['an unknown event', { tenantId: 't1', eventId: '01a21226-0000-7000-8000-000000000001', profileId: '01a21226-0000-7000-8000-000000000001' }],
  ])('rejects %s as unrecoverable', async (_name, data) => {
    await expect(detectFriction({ id: 'bad', data: data as JobPayloads['detect-friction'] }, signals.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('runs from the event-resolved queue through the detect-friction queue', async () => {
    const profileId = newProfile();
    const queue = new Queue<JobPayloads[typeof EVENT_RESOLVED]>(EVENT_RESOLVED, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      for (const s of [0, 5, 10, 15, 20]) {
        const event = await store('t-queue', null, 'Error Occurred', Date.now() + s * 1000, { message: 'HTTP 500' });
        await queue.add(EVENT_RESOLVED, { tenantId: 't-queue', eventId: event.id, profileId }, { jobId: `t-queue-${event.id}` });
      }
      await waitFor(async () => (await signalsOf('t-queue', profileId)).length > 0);
      expect(await signalsOf('t-queue', profileId)).toEqual([
        expect.objectContaining({ type: 'error_burst', evidence: expect.objectContaining({ count: 5, errors: ['HTTP 500'] }) }),
      ]);
    } finally {
      await queue.close();
    }
  });

  it('finds an inactivity drop against the customer’s own baseline in the sweep', async () => {
    const profileId = newProfile();
    const steady = newProfile();
    const DAY = 86_400_000;
    const start = T0 - 70 * DAY;
    // both: 2 events a day for 60 days; then `profileId` stops while `steady` goes on
    for (let d = 0; d < 70; d++) {
      for (const h of [9, 18]) {
        if (d < 60) await store('t-sweep', profileId, 'Screen Viewed', start + d * DAY + h * 3_600_000);
        await store('t-sweep', steady, 'Screen Viewed', start + d * DAY + h * 3_600_000);
      }
    }
    const result = await sweepFriction(null, signals.deps, new Date(T0));
    expect(result.signals).toBeGreaterThanOrEqual(1);
    const found = await signalsOf('t-sweep', profileId);
    expect(found).toEqual([expect.objectContaining({ type: 'inactivity_drop', severity: 1 })]);
    // baseline window: the 56 days before the last 7; the customer's last 53 of them had 2 events a day
    expect(found[0].evidence).toMatchObject({ recentCount: 0, baselineCount: 106, baselineDays: 56, expectedCount: 13.25 });
    expect(await signalsOf('t-sweep', steady)).toEqual([]);
    // the next tick reports nothing new
    await sweepFriction(null, signals.deps, new Date(T0 + 60_000));
    expect(await signalsOf('t-sweep', profileId)).toHaveLength(1);
  });
});
