import { randomBytes } from 'node:crypto';

import { Queue, type Job } from 'bullmq';

import { EVALUATE_SEGMENTS, queueOptions, type EventToResolve, type JobPayloads } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { SegmentMembership } from '../../../subgraphs/profiles/entities/segment-membership.entity';
import { createSegmentService } from '../../../subgraphs/profiles/services/segment.service';
import { evaluateSegments } from '../../../subgraphs/profiles/workers/evaluate-segments.worker';
import { resolveIdentity } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { setComputedTraits } from '../../../subgraphs/profiles/workers/set-computed-traits.worker';
import { sweepProfiles } from '../../../subgraphs/profiles/workers/sweep-profiles.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

type EvaluateJob = Job<JobPayloads[typeof EVALUATE_SEGMENTS]>;

const PRO = { path: 'traits.plan', op: 'eq', value: 'pro' };
const RISKY = { path: 'computedTraits.risk.churnBucket', op: 'eq', value: 'high' };

/** Tenant ids unique to this run: pub/sub channels are shared by every process on the Redis. */
const tenant = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/**
 * The profiles → segments hand-off survives the loss of its `evaluate-segments` job: the profile
 * is marked in SQL in the transaction that changed it, the marker is cleared by the evaluation,
 * and the profiles sweeper queues the evaluation again once the marker outlives the grace period.
 * Real Redis, real SQL (SQLite, or PostgreSQL under FORESIGHT_TEST_DB=postgres).
 */
describe('sweepProfiles', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let evaluate: Queue<JobPayloads[typeof EVALUATE_SEGMENTS]>;

  beforeAll(async () => {
    env = await createTestEnv();
    // workers off: the test runs each job itself, or loses it
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0, workers: false });
    evaluate = new Queue(EVALUATE_SEGMENTS, queueOptions(profiles.deps.redis, env.config.queuePrefix));
  }, 120_000);
  afterAll(async () => {
    // only this test's queue prefix is touched
    await evaluate?.obliterate({ force: true });
    await evaluate?.close();
    await profiles?.close();
    await env?.cleanup();
  });

  const evaluationsOf = async (tenantId: string): Promise<EvaluateJob[]> =>
    (await evaluate.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId);
  /** Redis loses the tenant's queued evaluations (a flush, a deleted key) after they were queued. */
  const loseEvaluations = async (tenantId: string) => {
    const jobs = await evaluationsOf(tenantId);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) await job.remove();
  };
  /** Runs every queued evaluation of the tenant, as the worker would, then takes it off the queue. */
  const runEvaluations = async (tenantId: string) => {
    for (const job of await evaluationsOf(tenantId)) {
      await evaluateSegments(job, profiles.deps);
      await job.remove();
    }
  };
  const profileOf = (tenantId: string, id: string) => forkAcrossTenants(profiles.deps.orm).findOneOrFail(Profile, { tenantId, id }, { disableIdentityMap: true });
  const membersOf = async (tenantId: string, segmentId: string) =>
    (await forkAcrossTenants(profiles.deps.orm).find(SegmentMembership, { tenantId, segment: segmentId, exitedAt: null })).map((m) => m.profileId).sort();
  const afterGrace = () => new Date(Date.now() + env.config.ingest.sweepGraceMs + 1000);
  const identify = (tenantId: string, userId: string, traits: Record<string, unknown>): EventToResolve =>
    resolveJob(tenantId, { type: 'identify', name: null, userId, traits });

  it('re-queues the evaluation of a resolve job whose evaluate-segments job was lost, and the membership follows', async () => {
    const t = tenant('lost-resolve');
    const segment = await createSegmentService(profiles.deps, t).create({ name: 'Pro', condition: PRO });
    const outcomes = await resolveIdentity({ id: `${t}-r1`, data: { tenantId: t, events: [identify(t, 'u-1', { plan: 'pro' }), identify(t, 'u-2', { plan: 'free' })] } }, profiles.deps);
    const ids = outcomes.map((o) => o!.profileId);
    await loseEvaluations(t);
    expect((await profileOf(t, ids[0])).segmentsPendingSince).not.toBeNull();
    expect(await membersOf(t, segment.id)).toEqual([]);

    // inside the grace period the sweeper leaves them alone (their job may still be on its way)
    expect(await sweepProfiles(profiles.deps, new Date())).toBe(0);
    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(2);
    const swept = await evaluationsOf(t);
    expect(swept).toHaveLength(1);
    expect(swept[0].id).toContain('-segments-swept');
    await runEvaluations(t);

    expect(await membersOf(t, segment.id)).toEqual([ids[0]]);
    for (const id of ids) expect((await profileOf(t, id)).segmentsPendingSince).toBeNull();
    // done: a second sweep finds nothing owed
    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(0);
  });

  it('re-queues the evaluation after computed traits whose evaluate-segments job was lost', async () => {
    const t = tenant('lost-traits');
    const [outcome] = await resolveIdentity({ id: `${t}-r1`, data: { tenantId: t, events: [identify(t, 'u-1', { plan: 'free' })] } }, profiles.deps);
    const profileId = outcome!.profileId;
    const segment = await createSegmentService(profiles.deps, t).create({ name: 'Risky', condition: RISKY });
    await runEvaluations(t);
    expect((await profileOf(t, profileId)).segmentsPendingSince).toBeNull();

    await setComputedTraits({ id: `${t}-traits-1`, data: { tenantId: t, items: [{ profileId, source: 'risk', traits: { churnBucket: 'high' } }] } }, profiles.deps);
    await loseEvaluations(t);
    expect((await profileOf(t, profileId)).segmentsPendingSince).not.toBeNull();

    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(1);
    await runEvaluations(t);
    expect(await membersOf(t, segment.id)).toEqual([profileId]);
    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(0);
  });

  it('owes nothing for a tenant without segments (a segment created later is backfilled)', async () => {
    const t = tenant('no-segments');
    const [outcome] = await resolveIdentity({ id: `${t}-r1`, data: { tenantId: t, events: [identify(t, 'u-1', { plan: 'pro' })] } }, profiles.deps);
    expect((await profileOf(t, outcome!.profileId)).segmentsPendingSince).toBeNull();
    // nothing to evaluate, so no job was queued, and the sweeper finds nothing owed
    expect(await evaluationsOf(t)).toHaveLength(0);
    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(0);
  });

  it('keeps a profile pending when a change lands after its evaluation read the marker', async () => {
    const t = tenant('newer');
    const segment = await createSegmentService(profiles.deps, t).create({ name: 'Risky', condition: RISKY });
    const [outcome] = await resolveIdentity({ id: `${t}-r1`, data: { tenantId: t, events: [identify(t, 'u-1', { plan: 'free' })] } }, profiles.deps);
    const profileId = outcome!.profileId;
    const repo = forkForTenant(profiles.deps.orm, t).getRepository(Profile);

    // the evaluation reads the marker under its lock ...
    const read = await profileOf(t, profileId);
    expect(read.segmentsPendingSince).not.toBeNull();
    // ... a newer change (computed traits) commits meanwhile ...
    await setComputedTraits({ id: `${t}-traits-1`, data: { tenantId: t, items: [{ profileId, source: 'risk', traits: { churnBucket: 'high' } }] } }, profiles.deps);
    // ... and the evaluation clears what it read: the newer change stays owed
    await repo.clearSegmentsPending(t, [{ id: profileId, version: read.segmentsPendingVersion }]);
    const after = await profileOf(t, profileId);
    expect(after.segmentsPendingSince).not.toBeNull();
    expect(after.segmentsPendingVersion).toBe(read.segmentsPendingVersion + 1);

    // its own job lost too: the sweeper sends it again, and the evaluation sees the new traits
    await loseEvaluations(t);
    expect(await sweepProfiles(profiles.deps, afterGrace())).toBe(1);
    await runEvaluations(t);
    expect(await membersOf(t, segment.id)).toEqual([profileId]);
    expect((await profileOf(t, profileId)).segmentsPendingSince).toBeNull();
  });
});
