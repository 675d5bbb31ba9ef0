import { Queue } from 'bullmq';

import { RISK_CHANGED, type FsPubSub, type RiskChangedEvent } from '../../../subgraphs/common/pubsub';
import { LANE_SPAN } from '../../../subgraphs/common/fair-share';
import { ACTIVITY_RECORDED, queueOptions, RAISE_ALERTS, RECORD_ACTIVITY, SCORE_PROFILE, SET_COMPUTED_TRAITS, type JobPayloads, type RecordActivityJob, type SetComputedTraitsBatch } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ActivitySignal } from '../../../subgraphs/risk/entities/activity-signal.entity';
import { JourneySnapshot } from '../../../subgraphs/risk/entities/journey-snapshot.entity';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { SegmentMember } from '../../../subgraphs/risk/entities/segment-member.entity';
import { recordActivity, startRecordActivityWorker } from '../../../subgraphs/risk/workers/record-activity.worker';
import { scoreProfile, scoreProfiles } from '../../../subgraphs/risk/workers/score-profile.worker';
import { activityBatch } from '../../fixtures/risk-activity-batch';
import { listenTo, readyRedisPubSub, type TopicListener } from '../../fixtures/pubsub-listener';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const NOW = Date.parse('2026-11-01T00:00:00Z');

/** Profiles a batch may move the score of: every profile with an observation other than a segment change. */
const scoredProfiles = (items: RecordActivityJob[]) => [...new Set(items.filter((i) => i.kind !== 'segment').map((i) => i.profileId))];

describe('record-activity batches: stored set-based, scored once per profile', () => {
  const shutdown = new Shutdown();
  let env: TestEnv;
  let risk: RunningSubgraph;
  let listener: FsPubSub;
  let alerts: Queue<JobPayloads[typeof RAISE_ALERTS]>;
  let traits: Queue<JobPayloads[typeof SET_COMPUTED_TRAITS]>;

  beforeAll(async () => {
    // no debounce: a batch is scored in its own job
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '0' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    listener = await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
    alerts = new Queue(RAISE_ALERTS, queueOptions(risk.deps.redis, env.config.queuePrefix));
    traits = new Queue(SET_COMPUTED_TRAITS, queueOptions(risk.deps.redis, env.config.queuePrefix));
  }, 120_000);
  afterAll(async () => {
    await alerts?.close();
    await traits?.close();
    await shutdown.run();
    await risk?.close();
    await env?.cleanup();
  });

  const listen = (tenantId: string): Promise<TopicListener<RiskChangedEvent>> => listenTo(listener, risk.deps.redis, RISK_CHANGED, tenantId, env.config.queuePrefix);
  const count = (entity: typeof ActivityEvent | typeof ActivitySignal | typeof JourneySnapshot | typeof SegmentMember | typeof RiskScore, tenantId: string) =>
    forkAcrossTenants(risk.deps.orm).count(entity as typeof ActivityEvent, { tenantId });
  // fair share gives stage jobs a priority, so they wait as `prioritized`
  const alertJobs = async (tenantId: string) => (await alerts.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId);
  const alertChanges = async (tenantId: string) => (await alertJobs(tenantId)).flatMap((j) => ('changes' in j.data ? j.data.changes : []));
  /** A fresh profile's first score is always news: once it arrives, everything published before it has too. */
  const sentinel = async (tenantId: string, sub: TopicListener<RiskChangedEvent>, n: number) => {
    const profileId = syntheticId(19, n);
    const item: RecordActivityJob = { kind: 'event', tenantId, profileId, eventId: syntheticId(18, n), type: 'track', name: 'Sentinel', timestamp: new Date(NOW).toISOString(), revenue: null, traits: {} };
    await recordActivity({ id: `sentinel-${n}`, data: { tenantId, items: [item] } }, risk.deps, new Date(NOW));
    await waitFor(() => sub.events.some((e) => e.profileId === profileId));
    return profileId;
  };

  it('stores a batch of 200 observations of 40 profiles once, scores each once and publishes once per profile; a replay is harmless', async () => {
    const tenantId = 'batch';
    const items = activityBatch(tenantId, 40, 5, NOW);
    const profiles = scoredProfiles(items);
    const sub = await listen(tenantId);
    const job = { id: 'batch-1', data: { tenantId, items } };
    await recordActivity(job, risk.deps, new Date(NOW));

    const kinds = (kind: string) => items.filter((i) => i.kind === kind).length;
    expect(await count(ActivityEvent, tenantId)).toBe(kinds('event'));
    expect(await count(ActivitySignal, tenantId)).toBe(kinds('signal'));
    expect(await count(JourneySnapshot, tenantId)).toBe(kinds('journey'));
    expect(await count(SegmentMember, tenantId)).toBe(kinds('segment'));
    const scores = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId });
    expect(scores.map((s) => s.profileId).sort()).toEqual([...profiles].sort());
    await waitFor(() => sub.events.length >= profiles.length);
    // every first score is news: one raise-alerts job for the scored batch, carrying each change
    await waitFor(async () => (await alertChanges(tenantId)).length >= profiles.length);

    await recordActivity(job, risk.deps, new Date(NOW)); // the same job again
    const sentinelId = await sentinel(tenantId, sub, 1);
    expect(await count(ActivityEvent, tenantId)).toBe(kinds('event') + 1);
    expect(await count(RiskScore, tenantId)).toBe(profiles.length + 1); // nothing moved: nothing stored
    expect(sub.events.filter((e) => e.profileId !== sentinelId).map((e) => e.profileId).sort()).toEqual([...profiles].sort());
    // the replay queued nothing new: the batch's job and the sentinel's
    await risk.deps.queues.flushAcks();
    expect((await alertJobs(tenantId)).length).toBe(2);
    expect((await alertChanges(tenantId)).map((c) => c.profileId).sort()).toEqual([...profiles, sentinelId].sort());
    await sub.stop();
  });

  it('gives each profile the score the per-profile path gives', async () => {
    const items = (tenantId: string) => activityBatch(tenantId, 40, 5, NOW, 2);
    await recordActivity({ id: 'b', data: { tenantId: 'set', items: items('set') } }, risk.deps, new Date(NOW));
    // the per-profile path: one job per observation (its score queued, never run), then one score per profile
    const queueing = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: 60_000 } } };
    for (const [n, data] of items('lone').entries()) await recordActivity({ id: `lone-${n}`, data }, queueing);
    for (const profileId of scoredProfiles(items('lone'))) await scoreProfile({ id: profileId, data: { tenantId: 'lone', profileId, reason: 'test' } }, risk.deps, new Date(NOW));
    const latest = async (tenantId: string) => {
      const rows = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId, scoredAt: new Date(NOW) }, { orderBy: { profileId: 'asc' } });
      return rows.map((r) => ({ profileId: r.profileId, probability: r.probability, score: r.score, bucket: r.bucket, reasons: r.reasons, model: r.modelRef() }));
    };
    const set = await latest('set');
    expect(set).toHaveLength(scoredProfiles(items('set')).length);
    expect(set).toEqual(await latest('lone'));
  }, 120_000);

  it('keeps one history per profile when batches touching the same profiles are scored at once', async () => {
    const tenantId = 'concurrent';
    const items = activityBatch(tenantId, 20, 5, NOW, 3);
    const halves = [items.slice(0, 50), items.slice(50)];
    await Promise.all(halves.map((half, i) => recordActivity({ id: `half-${i}`, data: { tenantId, items: half } }, risk.deps, new Date(NOW + i))));
    const rows = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId });
    const follows = rows.map((r) => r.follows);
    expect(new Set(follows).size).toBe(follows.length);
    // each profile's rows form one chain: exactly one row nobody follows
    for (const profileId of scoredProfiles(items)) {
      const own = rows.filter((r) => r.profileId === profileId);
      expect(own.filter((r) => !follows.includes(r.id))).toHaveLength(1);
    }
  });

  it('stores what follows a merge under the survivor and scores the survivor only', async () => {
    const tenantId = 'merges';
    const survivor = syntheticId(17, 1);
    const merged = syntheticId(17, 2);
    const event = (profileId: string, n: number): RecordActivityJob => ({ kind: 'event', tenantId, profileId, eventId: syntheticId(18, 100 + n), type: 'track', name: 'Feature Used', timestamp: new Date(NOW - n * 1000).toISOString(), revenue: null, traits: {} });
    const segment = { kind: 'segment', tenantId, profileId: syntheticId(17, 3), change: 'entered', segmentId: syntheticId(16, 9), segmentName: 'Trial', membershipId: syntheticId(16, 99), at: new Date(NOW).toISOString() } as RecordActivityJob;
    const items: RecordActivityJob[] = [event(merged, 1), { kind: 'merge', tenantId, profileId: survivor, mergedProfileId: merged }, event(merged, 2), event(survivor, 3), segment];
    await recordActivity({ id: 'm', data: { tenantId, items } }, risk.deps, new Date(NOW));
    const events = await forkAcrossTenants(risk.deps.orm).find(ActivityEvent, { tenantId });
    expect(events.map((e) => e.profileId)).toEqual([survivor, survivor, survivor]);
    const scores = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId });
    expect(scores.map((s) => s.profileId)).toEqual([survivor]);
  });

  it('pushes the churn buckets of a scored batch to profiles in one set-computed-traits job, fair-ordered in the batch’s lane; a replay queues nothing new', async () => {
    const tenantId = 'traits-batch';
    const items = activityBatch(tenantId, 12, 3, NOW, 5);
    const profiles = scoredProfiles(items);
    const job = { id: 'history-1', data: { tenantId, lane: 'history' as const, items } };
    await recordActivity(job, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    const pushed = async () => (await traits.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId);
    // every first score is a crossing: all of them in one job
    const [batch, ...more] = await pushed();
    expect(more).toHaveLength(0);
    expect(batch.data).toMatchObject({ tenantId, lane: 'history' });
    const data = batch.data as SetComputedTraitsBatch;
    expect(data.items.map((i) => i.profileId).sort()).toEqual([...profiles].sort());
    const scores = new Map((await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId, kind: 'churn' })).map((s) => [s.profileId, s]));
    for (const item of data.items) {
      const score = scores.get(item.profileId)!;
      expect(item).toEqual({ profileId: score.profileId, source: 'risk', traits: { churnBucket: score.bucket, churnScore: score.score, scoredAt: score.scoredAt.toISOString() } });
    }
    // the history lane's priorities all lie above the live lane's
    expect(batch.opts.priority).toBeGreaterThanOrEqual(LANE_SPAN);

    await recordActivity(job, risk.deps, new Date(NOW)); // the same job again: nothing moved
    expect(await pushed()).toHaveLength(1);
  });

  it('keeps the lane through a debounced score: the delayed score-profile job carries it, and so do its computed traits', async () => {
    const tenantId = 'traits-debounced';
    const debounced = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: 60_000 } } };
    await recordActivity({ id: 'd-1', data: { tenantId, lane: 'history', items: activityBatch(tenantId, 3, 2, NOW, 6) } }, debounced, new Date(NOW));
    const scoring = new Queue<JobPayloads[typeof SCORE_PROFILE]>(SCORE_PROFILE, queueOptions(risk.deps.redis, env.config.queuePrefix));
    try {
      const [job] = (await scoring.getJobs(['delayed'])).filter((j) => j.data.tenantId === tenantId);
      expect(job.data.lane).toBe('history');
      await scoreProfiles(job, risk.deps, new Date(NOW));
      await risk.deps.queues.flushAcks();
      await job.remove();
    } finally {
      await scoring.close();
    }
    const [batch, ...more] = (await traits.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId);
    expect(more).toHaveLength(0);
    expect(batch.data).toMatchObject({ tenantId, lane: 'history' });
    expect((batch.data as SetComputedTraitsBatch).items).toHaveLength(3);
    expect(batch.opts.priority).toBeGreaterThanOrEqual(LANE_SPAN);
  });

  it('takes the jobs waiting behind one into the same pass: stored once, one acknowledgement per pass, each job settled', async () => {
    const tenantId = 'coalesced';
    const queue = new Queue<JobPayloads[typeof RECORD_ACTIVITY]>(RECORD_ACTIVITY, queueOptions(risk.deps.redis, env.config.queuePrefix));
    const acks = new Queue<JobPayloads[typeof ACTIVITY_RECORDED]>(ACTIVITY_RECORDED, queueOptions(risk.deps.redis, env.config.queuePrefix));
    const worker = startRecordActivityWorker(risk.deps);
    try {
      // queued while the queue is paused, so the worker finds them all waiting at once
      await queue.pause();
      const items = activityBatch(tenantId, 8, 3, NOW);
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await queue.add(RECORD_ACTIVITY, { tenantId, items: items.slice(i * 6, i * 6 + 6) }, { jobId: `coalesced-${i}` })).id!);
      const malformed = await queue.add(RECORD_ACTIVITY, { tenantId, items: [] }, { jobId: 'coalesced-malformed' });
      await queue.resume();
      const state = async (id: string) => (await queue.getJob(id))?.getState();
      await waitFor(async () => (await Promise.all(ids.map(state))).every((s) => s === 'completed') && (await state(malformed.id!)) === 'failed');
      expect(await count(ActivityEvent, tenantId)).toBe(items.filter((i) => i.kind === 'event').length);
      // the passes' acknowledgements are gathered over the ack window: one job carries every event
      const acked = async () => (await acks.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId);
      const stored = items.flatMap((i) => (i.kind === 'event' ? [i.eventId] : [])).sort();
      await waitFor(async () => (await acked()).flatMap((j) => j.data.eventIds).length === stored.length);
      expect((await acked()).flatMap((j) => j.data.eventIds).sort()).toEqual(stored);
      expect((await acked()).length).toBe(1);
    } finally {
      await worker.close();
      await queue.close();
      await acks.close();
    }
  });

  it('still takes a lone observation, and refuses a malformed batch', async () => {
    const tenantId = 'lone-form';
    const [item] = activityBatch(tenantId, 1, 1, NOW, 4);
    await recordActivity({ id: 'lone', data: item }, risk.deps, new Date(NOW));
    expect(await count(ActivityEvent, tenantId)).toBe(1);
    expect(await count(RiskScore, tenantId)).toBe(1);
    await expect(recordActivity({ id: 'bad', data: { tenantId, items: [] } }, risk.deps)).rejects.toThrow(/malformed batch/);
  });
});
