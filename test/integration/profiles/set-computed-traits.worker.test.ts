import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { LANE_SPAN } from '../../../subgraphs/common/fair-share';
import {
  EVALUATE_SEGMENTS,
  SET_COMPUTED_TRAITS,
  queueOptions,
  type EvaluateSegmentsBatch,
  type EventToResolve,
  type JobPayloads,
  type SetComputedTraitsBatch,
  type SetComputedTraitsJob,
} from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { readStageRates } from '../../../subgraphs/common/stage-meter';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { ProfileMergeRepository } from '../../../subgraphs/profiles/entities/profile-merge.repository';
import { createSegmentService } from '../../../subgraphs/profiles/services/segment.service';
import { resolveEvent } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { setComputedTraits } from '../../../subgraphs/profiles/workers/set-computed-traits.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const track = (tenantId: string, over: Partial<EventToResolve>): EventToResolve => resolveJob(tenantId, { name: 'Viewed', ...over });

type Payload = JobPayloads[typeof SET_COMPUTED_TRAITS];

describe('setComputedTraits', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let evaluate: Queue<JobPayloads[typeof EVALUATE_SEGMENTS]>;

  beforeAll(async () => {
    env = await createTestEnv();
    // workers off: the evaluate-segments jobs stay in the queue to be looked at
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0, workers: false });
    evaluate = new Queue(EVALUATE_SEGMENTS, queueOptions(profiles.deps.redis, env.config.queuePrefix));
    // evaluations are queued only for a tenant that has a segment (the last test covers one without)
    for (const t of ['push', 'merged', 'batch', 'merge-race', 'replay', 'malformed-item', 'queue']) {
      await createSegmentService(profiles.deps, t).create({ name: 'Risky', condition: { path: 'computedTraits.risk.churnBucket', op: 'eq', value: 'high' } });
    }
  });
  afterAll(async () => {
    await evaluate?.close();
    await profiles?.close();
    await env?.cleanup();
  });

  const resolve = async (data: EventToResolve) => (await resolveEvent(data, profiles.deps))!;
  const push = (id: string, data: Payload) => setComputedTraits({ id, data }, profiles.deps);
  const computedOf = async (tenantId: string, id: string) =>
    (await forkAcrossTenants(profiles.deps.orm).findOneOrFail(Profile, { tenantId, id })).computedTraits;
  /** The evaluate-segments jobs this tenant's pushes queued (resolveEvent queues none). */
  const evaluationsOf = async (tenantId: string): Promise<Job<JobPayloads[typeof EVALUATE_SEGMENTS]>[]> =>
    (await evaluate.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId && j.id?.includes('-segments-traits-'));
  const idsOf = (job: Job<JobPayloads[typeof EVALUATE_SEGMENTS]>) => ('profileIds' in job.data ? [...job.data.profileIds].sort() : [job.data.profileId]);

  describe('the lone form of a job queued before batches', () => {
    it('stores pushed traits under their namespace, kept when events recompute the built-ins', async () => {
      const t = 'push';
      const { profileId } = await resolve(track(t, { userId: 'u-1' }));
      await push('risk-1', { tenantId: t, profileId, source: 'risk', traits: { bucket: 'MEDIUM', score: 61 } });
      await push('risk-2', { tenantId: t, profileId, source: 'risk', traits: { bucket: 'HIGH' } });
      await resolve(track(t, { userId: 'u-1' }));
      expect(await computedOf(t, profileId)).toMatchObject({ eventCount: 2, risk: { bucket: 'HIGH', score: 61 } });
      // segments are re-evaluated after the push, once per push job, in the new batch form
      const jobs = await evaluationsOf(t);
      expect(jobs.map((j) => j.data)).toEqual([
        { tenantId: t, profileIds: [profileId] },
        { tenantId: t, profileIds: [profileId] },
      ]);
    });

    it('follows a merged id to the survivor, and a merge keeps namespaces only the merged profile had', async () => {
      const t = 'merged';
      const anon = await resolve(track(t, { anonymousId: 'a-1' }));
      await push('nps-1', { tenantId: t, profileId: anon.profileId, source: 'nps', traits: { score: 9 } });
      await resolve(track(t, { userId: 'u-1' }));
      const user = await resolve(track(t, { userId: 'u-1', anonymousId: 'a-1' }));
      expect(user.mergedIds).toEqual([anon.profileId]);
      expect(await push('risk-1', { tenantId: t, profileId: anon.profileId, source: 'risk', traits: { bucket: 'LOW' } })).toEqual([user.profileId]);
      expect(await computedOf(t, user.profileId)).toMatchObject({ nps: { score: 9 }, risk: { bucket: 'LOW' } });
    });

    it.each<[string, Partial<SetComputedTraitsJob>]>([
      ['a built-in namespace', { source: 'eventCounts' }],
      ['a malformed namespace', { source: 'Risk Bucket' }],
      ['a profile id that is not a UUID', { profileId: 'p-1' }],
      ['traits that are not an object', { traits: [] as unknown as Record<string, unknown> }],
      ['an unknown profile', { profileId: uuidv7() }],
    ])('rejects %s as unrecoverable', async (_name, over) => {
      const data = { tenantId: 'bad', profileId: uuidv7(), source: 'risk', traits: {}, ...over };
      await expect(push('bad', data)).rejects.toBeInstanceOf(UnrecoverableError);
    });
  });

  describe('a batch', () => {
    it('writes every item in one job, follows merges, applies items in order, and queues one evaluation for the batch in its lane', async () => {
      const t = 'batch';
      const a = await resolve(track(t, { userId: 'a' }));
      const b = await resolve(track(t, { userId: 'b' }));
      const anon = await resolve(track(t, { anonymousId: 'anon-c' }));
      const c = await resolve(track(t, { userId: 'c' }));
      expect((await resolve(track(t, { userId: 'c', anonymousId: 'anon-c' }))).mergedIds).toEqual([anon.profileId]);
      const data: SetComputedTraitsBatch = {
        tenantId: t,
        lane: 'history',
        items: [
          { profileId: a.profileId, source: 'risk', traits: { churnBucket: 'LOW', churnScore: 10 } },
          { profileId: b.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } },
          { profileId: anon.profileId, source: 'risk', traits: { churnBucket: 'MEDIUM' } },
          // the same profile again: applied after the first, its other keys kept
          { profileId: a.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } },
          { profileId: b.profileId, source: 'nps', traits: { score: 3 } },
        ],
      };
      expect(await push(`${t}-risk-1`, data)).toEqual([a.profileId, b.profileId, c.profileId, a.profileId, b.profileId]);
      expect(await computedOf(t, a.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH', churnScore: 10 } });
      expect(await computedOf(t, b.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH' }, nps: { score: 3 } });
      // the merged-away id landed on its survivor
      expect(await computedOf(t, c.profileId)).toMatchObject({ risk: { churnBucket: 'MEDIUM' } });

      const jobs = await evaluationsOf(t);
      expect(jobs).toHaveLength(1);
      expect((jobs[0].data as EvaluateSegmentsBatch).lane).toBe('history');
      expect(idsOf(jobs[0])).toEqual([a.profileId, b.profileId, c.profileId].sort());
      // fair-ordered, in the history lane (all of whose priorities lie above the live lane's)
      expect(jobs[0].opts.priority).toBeGreaterThanOrEqual(LANE_SPAN);
    });

    it('follows a profile merged away between reading the merge links and locking the rows', async () => {
      const t = 'merge-race';
      const anon = await resolve(track(t, { anonymousId: 'a-1' }));
      const user = await resolve(track(t, { userId: 'u-1' }));
      expect((await resolve(track(t, { userId: 'u-1', anonymousId: 'a-1' }))).mergedIds).toEqual([anon.profileId]);
      // fault injection on our own repository (the database stays real): the first read of the
      // merge links is from before the merge, so the locking read misses the merged-away row
      const stale = jest.spyOn(ProfileMergeRepository.prototype, 'survivorsOf').mockImplementationOnce(async (_tenantId, ids) => new Map(ids.map((id) => [id, id])));
      try {
        expect(await push(`${t}-1`, { tenantId: t, items: [{ profileId: anon.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } }] })).toEqual([user.profileId]);
        expect(stale).toHaveBeenCalledTimes(2);
      } finally {
        stale.mockRestore();
      }
      expect(await computedOf(t, user.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH' } });
      expect((await evaluationsOf(t)).map(idsOf)).toEqual([[user.profileId]]);
    });

    it('is idempotent: a replay writes the same values and queues nothing new', async () => {
      const t = 'replay';
      const a = await resolve(track(t, { userId: 'a' }));
      const b = await resolve(track(t, { userId: 'b' }));
      const data: SetComputedTraitsBatch = {
        tenantId: t,
        items: [
          { profileId: a.profileId, source: 'risk', traits: { churnBucket: 'LOW' } },
          { profileId: b.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } },
        ],
      };
      await push(`${t}-risk-1`, data);
      const before = [await computedOf(t, a.profileId), await computedOf(t, b.profileId)];
      await push(`${t}-risk-1`, data);
      expect([await computedOf(t, a.profileId), await computedOf(t, b.profileId)]).toEqual(before);
      const jobs = await evaluationsOf(t);
      expect(jobs).toHaveLength(1);
      expect((jobs[0].data as EvaluateSegmentsBatch).lane).toBeUndefined();
      expect(jobs[0].opts.priority).toBeLessThan(LANE_SPAN);
    });

    it('queues no evaluation for a tenant without segments, and one once it has a segment', async () => {
      const t = 'no-segments';
      const a = await resolve(track(t, { userId: 'a' }));
      await push(`${t}-risk-1`, { tenantId: t, items: [{ profileId: a.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } }] });
      expect(await computedOf(t, a.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH' } });
      expect(await evaluationsOf(t)).toHaveLength(0);
      await createSegmentService(profiles.deps, t).create({ name: 'Risky', condition: { path: 'computedTraits.risk.churnBucket', op: 'eq', value: 'high' } });
      await push(`${t}-risk-2`, { tenantId: t, items: [{ profileId: a.profileId, source: 'risk', traits: { churnBucket: 'LOW' } }] });
      expect((await evaluationsOf(t)).map(idsOf)).toEqual([[a.profileId]]);
    });

    it('leaves out a malformed item, logging its index and reason, and keeps the others', async () => {
      const t = 'malformed-item';
      const a = await resolve(track(t, { userId: 'a' }));
      const b = await resolve(track(t, { userId: 'b' }));
      const unknown = uuidv7();
      const errors = jest.spyOn(profiles.deps.log, 'error');
      const warnings = jest.spyOn(profiles.deps.log, 'warn');
      try {
        const landed = await push(`${t}-1`, {
          tenantId: t,
          items: [
            { profileId: a.profileId, source: 'risk', traits: { churnBucket: 'LOW' } },
            { profileId: b.profileId, source: 'eventCount', traits: { churnBucket: 'HIGH' } },
            { profileId: 'not-a-uuid', source: 'risk', traits: {} },
            { profileId: unknown, source: 'risk', traits: { churnBucket: 'HIGH' } },
            { profileId: b.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } },
          ],
        } as SetComputedTraitsBatch);
        // items 1 and 2 are left out before the write; item 3 names no profile
        expect(landed).toEqual([a.profileId, null, b.profileId]);
        expect(errors).toHaveBeenCalledWith(expect.objectContaining({ tenantId: t, index: 1, reason: expect.stringMatching(/source/) }), 'set-computed-traits: malformed item left out');
        expect(errors).toHaveBeenCalledWith(expect.objectContaining({ tenantId: t, index: 2, reason: expect.stringMatching(/profileId/) }), 'set-computed-traits: malformed item left out');
        expect(warnings).toHaveBeenCalledWith(expect.objectContaining({ tenantId: t, profileIds: [unknown] }), expect.stringMatching(/no such profile/));
      } finally {
        errors.mockRestore();
        warnings.mockRestore();
      }
      expect(await computedOf(t, a.profileId)).toMatchObject({ risk: { churnBucket: 'LOW' } });
      expect(await computedOf(t, b.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH' } });
      expect((await computedOf(t, b.profileId)).eventCount).toBe(1);
      const jobs = await evaluationsOf(t);
      expect(jobs.map(idsOf)).toEqual([[a.profileId, b.profileId].sort()]);
    });

    it.each<[string, unknown]>([
      ['no tenant', { items: [{ profileId: uuidv7(), source: 'risk', traits: {} }] }],
      ['items that are not an array', { tenantId: 'whole', items: {} }],
      ['no items', { tenantId: 'whole', items: [] }],
      ['only malformed items', { tenantId: 'whole', items: [{ profileId: 'x', source: 'risk', traits: {} }, null] }],
      ['only unknown profiles', { tenantId: 'whole', items: [{ profileId: uuidv7(), source: 'risk', traits: {} }] }],
    ])('rejects a wholly unusable job (%s) as unrecoverable', async (_name, data) => {
      await expect(push('whole', data as Payload)).rejects.toBeInstanceOf(UnrecoverableError);
    });
  });

  it('consumes batch and lone jobs from the real queue and meters the profiles', async () => {
    const t = 'queue';
    const a = await resolve(track(t, { userId: 'a' }));
    const b = await resolve(track(t, { userId: 'b' }));
    const running = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    const queue = new Queue<Payload>(SET_COMPUTED_TRAITS, queueOptions(profiles.deps.redis, env.config.queuePrefix));
    try {
      await queue.add(SET_COMPUTED_TRAITS, { tenantId: t, profileId: a.profileId, source: 'risk', traits: { churnBucket: 'HIGH' } }, { jobId: `${t}-lone` });
      await queue.add(
        SET_COMPUTED_TRAITS,
        { tenantId: t, items: [{ profileId: b.profileId, source: 'risk', traits: { churnBucket: 'LOW' } }, { profileId: a.profileId, source: 'nps', traits: { score: 9 } }] },
        { jobId: `${t}-batch` },
      );
      await waitFor(async () => (await queue.getJobState(`${t}-lone`)) === 'completed' && (await queue.getJobState(`${t}-batch`)) === 'completed');
      expect(await computedOf(t, a.profileId)).toMatchObject({ risk: { churnBucket: 'HIGH' }, nps: { score: 9 } });
      expect(await computedOf(t, b.profileId)).toMatchObject({ risk: { churnBucket: 'LOW' } });
      // the meter is written right after completion: 1 + 2 items
      await waitFor(async () => (await readStageRates(profiles.deps.redis, env.config.queuePrefix, [{ stage: 'traits', tenantId: t }]))[0] * 60 === 3);
    } finally {
      await queue.close();
      await running.close();
    }
  });
});
