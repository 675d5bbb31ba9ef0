import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { MERGE_RECHECK, MERGE_RECHECK_DELAY_MS } from '../../../subgraphs/common/profile-merged-job';
import { PROFILE_MERGED_SIGNALS, queueOptions, type ProfileMergedJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { JourneyEvent } from '../../../subgraphs/signals/entities/journey-event.entity';
import { JourneyInstance } from '../../../subgraphs/signals/entities/journey-instance.entity';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { profileMergedInSignals, startProfileMergedWorker } from '../../../subgraphs/signals/workers/profile-merged.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const T0 = Date.parse('2026-11-25T10:00:00Z');

/** A merge reaches signals: rows re-pointed, replays harmless, chains in any order, late events follow (real SQL, real Redis). */
describe('profile-merged (signals)', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    // only the merge worker: the test drives event-resolved itself
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    startProfileMergedWorker(signals.deps);
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const em = () => forkAcrossTenants(signals.deps.orm);
  const merge = (tenantId: string, mergedProfileId: string, profileId: string) =>
    profileMergedInSignals({ id: `${tenantId}-merge-${mergedProfileId}`, name: PROFILE_MERGED_SIGNALS, data: { tenantId, profileId, mergedProfileId } }, signals.deps);

  /** One profile's history in signals: an event, a signal keyed on the profile, a journey instance and its journey event. */
  async function historyOf(tenantId: string, profileId: string, signalKeySuffix = uuidv7()): Promise<void> {
    const fork = em();
    const at = new Date(T0);
    const event = fork.create(Event, { tenantId, messageId: uuidv7(), type: 'track', name: 'Screen Viewed', properties: {}, traits: {}, userId: null, anonymousId: `anon-${profileId}`, timestamp: at, receivedAt: at, profileId }, { persist: false });
    const definitionId = uuidv7();
    await fork.insertMany([event]);
    await fork.insertMany([
      fork.create(Signal, { tenantId, profileId, type: 'retry_loop', severity: 0.5, detectedAt: at, evidence: {}, dedupeKey: `retry_loop-${profileId}-${signalKeySuffix}` }, { persist: false }),
    ]);
    await fork.insertMany([
      fork.create(JourneyInstance, { tenantId, definitionId, profileId, currentStep: 'a', currentStepIndex: 0, stepTimes: [], startEventId: event.id, lastEventId: event.id, startedAt: at, lastEventAt: at, lastSeenAt: at }, { persist: false }),
    ]);
    await fork.insertMany([fork.create(JourneyEvent, { tenantId, definitionId, profileId, eventId: event.id, eventName: 'Screen Viewed', timestamp: at, steps: ['a'], failures: [] }, { persist: false })]);
  }

  /** Rows per table of a profile. */
  async function rowsOf(tenantId: string, profileId: string) {
    const fork = em();
    return {
      events: await fork.count(Event, { tenantId, profileId }),
      signals: await fork.count(Signal, { tenantId, profileId }),
      journeyInstances: await fork.count(JourneyInstance, { tenantId, profileId }),
      journeyEvents: await fork.count(JourneyEvent, { tenantId, profileId }),
    };
  }
  const none = { events: 0, signals: 0, journeyInstances: 0, journeyEvents: 0 };

  it('moves the merged profile’s events, signals and journeys to the survivor; a replay changes nothing', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await historyOf('t1', a);
    await historyOf('t1', b);
    const moved = await merge('t1', a, b);
    expect(moved).toEqual({ events: 1, signals: 1, signalsDropped: 0, journeyInstances: 1, journeyEvents: 1 });
    expect(await rowsOf('t1', a)).toEqual(none);
    expect(await rowsOf('t1', b)).toEqual({ events: 2, signals: 2, journeyInstances: 2, journeyEvents: 2 });
    // the moved signal carries the survivor's key, as the survivor's detectors would write it
    const keys = (await em().find(Signal, { tenantId: 't1' })).map((s) => s.dedupeKey);
    expect(keys.every((k) => k.includes(b) && !k.includes(a))).toBe(true);

    expect(await merge('t1', a, b)).toEqual({ events: 0, signals: 0, signalsDropped: 0, journeyInstances: 0, journeyEvents: 0 });
    expect(await rowsOf('t1', b)).toEqual({ events: 2, signals: 2, journeyInstances: 2, journeyEvents: 2 });
  });

  it('keeps the survivor’s signal when both hold the same friction (dedupe keys would collide)', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await historyOf('t2', a, 'upload-1700');
    await historyOf('t2', b, 'upload-1700');
    const survivorSignal = await em().findOneOrFail(Signal, { tenantId: 't2', profileId: b });
    expect(await merge('t2', a, b)).toMatchObject({ signals: 0, signalsDropped: 1, events: 1 });
    const left = await em().find(Signal, { tenantId: 't2' });
    expect(left.map((s) => s.id)).toEqual([survivorSignal.id]);
  });

  it.each([
    ['in order', ['ab', 'bc']],
    ['out of order', ['bc', 'ab']],
  ])('follows a chain A → B → C arriving %s, and a late event under A lands on C', async (_name, order) => {
    const tenantId = `t3-${order.join('')}`;
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    for (const p of [a, b, c]) await historyOf(tenantId, p);
    for (const step of order) await (step === 'ab' ? merge(tenantId, a, b) : merge(tenantId, b, c));
    expect(await rowsOf(tenantId, a)).toEqual(none);
    expect(await rowsOf(tenantId, b)).toEqual(none);
    expect(await rowsOf(tenantId, c)).toEqual({ events: 3, signals: 3, journeyInstances: 3, journeyEvents: 3 });

    // an event resolved to A before the merges, taken over after them: stored, detected and handed on under C
    const fork = em();
    const late = [0, 60, 120].map((s) => {
      const at = new Date(T0 + 3_600_000 + s * 1000);
      return fork.create(Event, { tenantId, messageId: uuidv7(), type: 'track', name: 'ID Upload Failed', properties: {}, traits: {}, userId: `u-${a}`, timestamp: at, receivedAt: at, profileId: null }, { persist: false });
    });
    await fork.insertMany(late);
    const outcome = await eventResolved({ id: 'late', data: { tenantId, events: late.map((e) => ({ eventId: e.id, profileId: a })) } }, signals.deps);
    expect((await em().find(Event, { tenantId, id: { $in: late.map((e) => e.id) } })).map((e) => e.profileId)).toEqual([c, c, c]);
    expect(outcome.findings.length).toBeGreaterThan(0);
    expect(outcome.findings.every((f) => f.dedupeKey.includes(c))).toBe(true);
    expect(outcome.handedOn?.data.items.every((item) => 'profileId' in item && item.profileId === c)).toBe(true);
    expect(await rowsOf(tenantId, a)).toEqual(none);
  });

  it('moves on its second pass what a concurrent batch wrote under the old id after the first', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await historyOf('t6', a);
    await merge('t6', a, b);
    await historyOf('t6', a); // a batch that looked the aliases up just before the merge was recorded
    const recheck = await profileMergedInSignals({ id: `t6-merge-${a}-recheck`, name: MERGE_RECHECK, data: { tenantId: 't6', profileId: b, mergedProfileId: a } }, signals.deps);
    expect(recheck).toMatchObject({ events: 1, signals: 1, journeyInstances: 1, journeyEvents: 1 });
    expect(await rowsOf('t6', a)).toEqual(none);
    expect(await rowsOf('t6', b)).toEqual({ events: 2, signals: 2, journeyInstances: 2, journeyEvents: 2 });
  });

  it('ignores a merge that would close a cycle', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await historyOf('t4', a);
    await merge('t4', a, b);
    expect(await merge('t4', b, a)).toBeNull();
    expect(await rowsOf('t4', b)).toMatchObject({ events: 1 });
  });

  it('consumes merge notices from its own queue, once per job id', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await historyOf('t5', a);
    const queue = new Queue<ProfileMergedJob>(PROFILE_MERGED_SIGNALS, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      const data = { tenantId: 't5', profileId: b, mergedProfileId: a };
      await queue.add(PROFILE_MERGED_SIGNALS, data, { jobId: `t5-merge-${a}` });
      await queue.add(PROFILE_MERGED_SIGNALS, data, { jobId: `t5-merge-${a}` });
      await waitFor(async () => (await rowsOf('t5', b)).events === 1);
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
      expect(await rowsOf('t5', a)).toEqual(none);
      // and its second pass waits, delayed
      const recheck = await queue.getJob(`t5-merge-${a}-recheck`);
      expect(recheck).toMatchObject({ name: MERGE_RECHECK, data, delay: MERGE_RECHECK_DELAY_MS });
    } finally {
      await queue.close();
    }
  });
});
