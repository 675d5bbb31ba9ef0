import { Queue, UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { fairShareFor, LANE_SPAN } from '../../../subgraphs/common/fair-share';
import { SEGMENT_MEMBERSHIP_CHANGED, type FsPubSub } from '../../../subgraphs/common/pubsub';
import {
  EVALUATE_SEGMENT_PAGE,
  SEGMENT_MEMBERSHIP_CHANGED as MEMBERSHIP_QUEUE,
  EVALUATE_SEGMENTS,
  queueOptions,
  type QueueName,
} from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { readStageRates } from '../../../subgraphs/common/stage-meter';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { IdentityType } from '../../../subgraphs/profiles/entities/identity.entity';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { ProfileMerge } from '../../../subgraphs/profiles/entities/profile-merge.entity';
import { SegmentMembership } from '../../../subgraphs/profiles/entities/segment-membership.entity';
import { ProfileService } from '../../../subgraphs/profiles/services/profile.service';
import { createSegmentService, SEGMENT_PAGE_SIZE } from '../../../subgraphs/profiles/services/segment.service';
import { evaluateSegmentPage } from '../../../subgraphs/profiles/workers/evaluate-segment-page.worker';
import { evaluateSegments } from '../../../subgraphs/profiles/workers/evaluate-segments.worker';
import { listenTo, readyRedisPubSub } from '../../fixtures/pubsub-listener';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const PRO = { path: 'traits.plan', op: 'eq', value: 'pro' };

/** Tenant ids unique to this run: pub/sub channels are shared by every process on the Redis. */
const RUN = uuidv7().slice(-8);
const tenant = (name: string) => `${name}-${RUN}`;

/** A pause long enough for a stray (duplicate) event to arrive through Redis. */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('segment membership (SegmentService, evaluate-segments, evaluate-segment-page)', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let listener: FsPubSub;
  const shutdown = new Shutdown();
  const queues: Partial<Record<QueueName, Queue>> = {};

  beforeAll(async () => {
    env = await createTestEnv();
    // no workers: each test drives the processors itself, with the time it chooses
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0, workers: false });
    // a second, independent pub/sub: what it receives went through Redis
    listener = await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await shutdown.run();
    await profiles?.close();
    await env?.cleanup();
  });

  const em = () => forkAcrossTenants(profiles.deps.orm);
  const segments = (tenantId: string) => createSegmentService(profiles.deps, tenantId);
  const upsert = (tenantId: string, userId: string, traits: Record<string, unknown>, email?: string) =>
    new ProfileService(em(), tenantId).upsert({ identities: [{ type: IdentityType.USER_ID, value: userId }], traits, email });
  const evaluate = (tenantId: string, profileId: string, now?: Date) =>
    evaluateSegments({ id: `${tenantId}-${profileId}`, data: { tenantId, profileId } }, profiles.deps, now);
  const historyOf = (tenantId: string, profileId: string) =>
    em().find(SegmentMembership, { tenantId, profileId }, { orderBy: { id: 'asc' }, populate: ['segment'] });
  const queue = (name: QueueName) => (queues[name] ??= new Queue(name, queueOptions(profiles.deps.redis, env.config.queuePrefix)));
  /** Runs a backfill chain to its end, page by page, as the worker would. */
  const drainBackfill = async (tenantId: string, segmentId: string, version = 1) => {
    let jobId: string | null = `${tenantId}-backfill-${segmentId}-v${version}-start`;
    const pages: number[] = [];
    while (jobId) {
      const job = await queue(EVALUATE_SEGMENT_PAGE).getJob(jobId);
      if (!job) throw new Error(`no page job ${jobId}`);
      const { evaluated, next } = await evaluateSegmentPage(job, profiles.deps);
      pages.push(evaluated);
      jobId = next ? `${tenantId}-backfill-${segmentId}-v${version}-${next}` : null;
    }
    return pages;
  };

  it('enters on a trait change and exits on the next, with timestamps, published through Redis and queued for actions', async () => {
    const t = tenant('trait-change');
    const segment = await segments(t).create({ name: 'Pro plan', condition: PRO });
    const sub = await listenTo(listener, profiles.deps.redis, SEGMENT_MEMBERSHIP_CHANGED, t, env.config.queuePrefix);
    try {
      const profile = await upsert(t, 'u-1', { plan: 'free' });
      expect(await evaluate(t, profile.id)).toEqual({ entered: 0, exited: 0 });

      await upsert(t, 'u-1', { plan: 'pro' });
      const enteredAt = new Date('2026-03-01T10:00:00Z');
      expect(await evaluate(t, profile.id, enteredAt)).toEqual({ entered: 1, exited: 0 });

      await upsert(t, 'u-1', { plan: 'free' });
      const exitedAt = new Date('2026-03-02T10:00:00Z');
      expect(await evaluate(t, profile.id, exitedAt)).toEqual({ entered: 0, exited: 1 });

      const [stay] = await historyOf(t, profile.id);
      expect(stay).toMatchObject({ profileId: profile.id, enteredAt, exitedAt, current: null, entryAnnounced: true, exitAnnounced: true });
      await waitFor(() => sub.events.length >= 2);
      const base = { tenantId: t, segmentId: segment.id, segmentName: 'Pro plan', profileId: profile.id, membershipId: stay.id };
      expect(sub.events).toEqual([
        { ...base, change: 'entered', at: enteredAt.toISOString() },
        { ...base, change: 'exited', at: exitedAt.toISOString() },
      ]);
      // the actions stage gets one job per entry and exit (its SEGMENT alert rules)
      const jobs = queue(MEMBERSHIP_QUEUE);
      expect((await jobs.getJob(`${t}-${stay.id}-entered`))?.data).toEqual(sub.events[0]);
      expect((await jobs.getJob(`${t}-${stay.id}-exited`))?.data).toEqual(sub.events[1]);
    } finally {
      await sub.stop();
    }
  });

  it('keeps history: re-entering opens a new stay, and the profile is in at most one current stay per segment', async () => {
    const t = tenant('history');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, profile.id, new Date('2026-01-01T00:00:00Z'));
    await upsert(t, 'u-1', { plan: 'free' });
    await evaluate(t, profile.id, new Date('2026-01-02T00:00:00Z'));
    await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, profile.id, new Date('2026-01-03T00:00:00Z'));

    const history = await historyOf(t, profile.id);
    expect(history.map((m) => [m.enteredAt.toISOString(), m.exitedAt?.toISOString() ?? null])).toEqual([
      ['2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
      ['2026-01-03T00:00:00.000Z', null],
    ]);
    const current = await segments(t).currentMembershipsOf(profile.id);
    expect(current.map((m) => m.id)).toEqual([history[1].id]);

    // the database refuses a second current stay, whatever a buggy caller tries
    const dup = em();
    dup.create(SegmentMembership, { tenantId: t, segment: history[1].segment.id, profileId: profile.id, enteredAt: new Date() });
    await expect(dup.flush()).rejects.toThrow(/unique|UNIQUE|duplicate/);
  });

  it('is idempotent: replaying the job changes and announces nothing', async () => {
    const t = tenant('replay');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    const sub = await listenTo(listener, profiles.deps.redis, SEGMENT_MEMBERSHIP_CHANGED, t, env.config.queuePrefix);
    try {
      const now = new Date('2026-02-01T00:00:00Z');
      expect(await evaluate(t, profile.id, now)).toEqual({ entered: 1, exited: 0 });
      expect(await evaluate(t, profile.id, now)).toEqual({ entered: 0, exited: 0 });
      expect(await evaluate(t, profile.id, new Date('2026-02-02T00:00:00Z'))).toEqual({ entered: 0, exited: 0 });
      await waitFor(() => sub.events.length >= 1);
      await settle();
      expect(sub.events.map((e) => e.change)).toEqual(['entered']);
      expect(await historyOf(t, profile.id)).toHaveLength(1);
    } finally {
      await sub.stop();
    }
  });

  it('announces a change a crashed run recorded but never announced', async () => {
    const t = tenant('crash');
    const segment = await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, profile.id);
    const [stay] = await historyOf(t, profile.id);
    // as if the process died after the commit, before the announcement
    await em().nativeUpdate(SegmentMembership, { id: stay.id }, { entryAnnounced: false });
    await (await queue(MEMBERSHIP_QUEUE).getJob(`${t}-${stay.id}-entered`))?.remove();
    const sub = await listenTo(listener, profiles.deps.redis, SEGMENT_MEMBERSHIP_CHANGED, t, env.config.queuePrefix);
    try {
      expect(await evaluate(t, profile.id)).toEqual({ entered: 0, exited: 0 });
      await waitFor(() => sub.events.length === 1);
      expect(sub.events[0]).toMatchObject({ segmentId: segment.id, membershipId: stay.id, change: 'entered' });
      expect(await queue(MEMBERSHIP_QUEUE).getJob(`${t}-${stay.id}-entered`)).toBeDefined();
      expect((await historyOf(t, profile.id))[0].entryAnnounced).toBe(true);
    } finally {
      await sub.stop();
    }
  });

  it('evaluates identities and computed traits', async () => {
    const t = tenant('facts');
    await segments(t).create({ name: 'Reachable', condition: { path: 'identity.email', op: 'contains', value: '@example.com' } });
    await segments(t).create({ name: 'Big spenders', condition: { path: 'computedTraits.totalRevenue', op: 'gte', value: 100 } });
    const withEmail = await upsert(t, 'u-1', {}, 'ada@example.com');
    const without = await upsert(t, 'u-2', {});
    await em().nativeUpdate(Profile, { id: without.id }, { computedTraits: { totalRevenue: 250 } });
    await evaluate(t, withEmail.id);
    await evaluate(t, without.id);
    const names = async (id: string) => (await historyOf(t, id)).map((m) => m.segment.getEntity().name);
    expect(await names(withEmail.id)).toEqual(['Reachable']);
    expect(await names(without.id)).toEqual(['Big spenders']);
  });

  it('follows a merge: the merged-away profile leaves, the survivor is evaluated', async () => {
    const t = tenant('merge');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const loser = await upsert(t, 'anon-1', { plan: 'pro' });
    const survivor = await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, loser.id);
    expect(await historyOf(t, loser.id)).toHaveLength(1);
    // what the identity-resolution stage does on a merge: forward the id and delete the profile
    const write = em();
    write.create(ProfileMerge, { tenantId: t, mergedProfileId: loser.id, survivorProfileId: survivor.id, reason: 'shared_identity', eventId: uuidv7(), mergedAt: new Date() });
    await write.flush();
    await write.nativeDelete(Profile, { tenantId: t, id: loser.id });

    expect(await evaluate(t, loser.id)).toEqual({ entered: 1, exited: 1 });
    expect((await historyOf(t, loser.id)).map((m) => m.current)).toEqual([null]);
    expect((await historyOf(t, survivor.id)).map((m) => m.current)).toEqual([true]);
  });

  it('evaluates a batch job’s profiles in one job, chunk by chunk, a merged-away one followed to its survivor', async () => {
    const t = tenant('batch');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const pros = [];
    for (let i = 0; i < 5; i++) pros.push(await upsert(t, `pro-${i}`, { plan: 'pro' }));
    const free = await upsert(t, 'free-1', { plan: 'free' });
    const loser = await upsert(t, 'anon-1', { plan: 'pro' });
    const survivor = await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, loser.id);
    const write = em();
    write.create(ProfileMerge, { tenantId: t, mergedProfileId: loser.id, survivorProfileId: survivor.id, reason: 'shared_identity', eventId: uuidv7(), mergedAt: new Date() });
    await write.flush();
    await write.nativeDelete(Profile, { tenantId: t, id: loser.id });

    const data = { tenantId: t, profileIds: [...pros.map((p) => p.id), free.id, loser.id] };
    // 5 pros, the survivor entered; the merged-away one left
    expect(await evaluateSegments({ id: `${t}-b1`, data }, profiles.deps)).toEqual({ entered: 6, exited: 1 });
    for (const p of [...pros, survivor]) expect((await historyOf(t, p.id)).map((m) => m.current)).toEqual([true]);
    expect(await historyOf(t, free.id)).toEqual([]);
    expect((await historyOf(t, loser.id)).map((m) => m.current)).toEqual([null]);
    // a replay changes nothing
    expect(await evaluateSegments({ id: `${t}-b1`, data }, profiles.deps)).toEqual({ entered: 0, exited: 0 });
    // chunks of 2 (one transaction each) reach every profile: all leave once the segment's condition no longer holds
    for (const p of [...pros, survivor]) await upsert(t, p === survivor ? 'u-1' : `pro-${pros.indexOf(p)}`, { plan: 'free' });
    expect(await segments(t).evaluateProfiles([...pros.map((p) => p.id), survivor.id], new Date(), 2)).toEqual({ entered: 0, exited: 6 });
  });

  it('queues a profile changed through upsertProfile for evaluation, fair-ordered in the live lane', async () => {
    const t = tenant('upsert');
    const service = new ProfileService(em(), t, { queues: profiles.deps.queues, fair: fairShareFor(profiles.deps) });
    const profile = await service.upsert({ identities: [{ type: IdentityType.USER_ID, value: 'u-1' }], traits: { plan: 'pro' } });
    const job = await queue(EVALUATE_SEGMENTS).getJob(`${t}-${profile.id}-upsert-${profile.updatedAt.getTime()}`);
    expect(job?.data).toEqual({ tenantId: t, profileIds: [profile.id] });
    expect(job?.opts.priority).toBeGreaterThan(0);
    expect(job?.opts.priority).toBeLessThan(LANE_SPAN);
  });

  it('leaves out a profile id that is not a UUID, logging its index, and evaluates the others', async () => {
    const t = tenant('batch-bad-id');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    const errors = jest.spyOn(profiles.deps.log, 'error');
    try {
      expect(await evaluateSegments({ id: `${t}-b`, data: { tenantId: t, profileIds: ['nope', profile.id] } }, profiles.deps)).toEqual({ entered: 1, exited: 0 });
      expect(errors).toHaveBeenCalledWith(expect.objectContaining({ tenantId: t, index: 0, reason: expect.stringMatching(/UUID/) }), 'evaluate-segments: malformed profile id left out');
    } finally {
      errors.mockRestore();
    }
  });

  it('backfills a new segment over existing profiles in bounded pages, and a condition change re-evaluates them', async () => {
    const t = tenant('backfill');
    const total = 2 * SEGMENT_PAGE_SIZE + 7;
    const write = em();
    await write.insertMany(Array.from({ length: total }, (_, i) => write.create(Profile, { tenantId: t, traits: { n: i } }, { persist: false })));
    const segment = await segments(t).create({ name: 'Even half', condition: { path: 'traits.n', op: 'lt', value: total / 2 } });
    expect(await drainBackfill(t, segment.id)).toEqual([SEGMENT_PAGE_SIZE, SEGMENT_PAGE_SIZE, 7]);
    expect(await segments(t).memberCount(segment.id)).toBe(Math.ceil(total / 2));

    const updated = await segments(t).update(segment.id, { condition: { path: 'traits.n', op: 'gte', value: total - 10 } });
    expect(updated.version).toBe(2);
    // the old chain stops once a newer version exists
    expect(await queue(EVALUATE_SEGMENT_PAGE).getJob(`${t}-backfill-${segment.id}-v2-start`)).toBeDefined();
    await drainBackfill(t, segment.id, 2);
    expect(await segments(t).memberCount(segment.id)).toBe(10);
    const page = await segments(t).members(segment.id, { first: 4 });
    expect(page.edges).toHaveLength(4);
    expect(page.memberCount).toBe(10);
    const rest = await segments(t).members(segment.id, { first: 100, after: page.pageInfo.endCursor });
    expect(rest.edges).toHaveLength(6);
    expect(rest.pageInfo).toEqual({ hasNextPage: false, endCursor: rest.edges[5].cursor });
    expect(new Set([...page.edges, ...rest.edges].map((e) => e.node.profileId)).size).toBe(10);
  });

  it('stops a backfill chain for a deleted segment, and deleting removes its history', async () => {
    const t = tenant('delete');
    const segment = await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    await evaluate(t, profile.id);
    expect(await segments(t).delete(segment.id)).toBe(segment.id);
    expect(await historyOf(t, profile.id)).toEqual([]);
    expect(await drainBackfill(t, segment.id)).toEqual([0]);
    expect(await segments(t).byId(segment.id)).toBeNull();
  });

  it('validates conditions and names', async () => {
    const t = tenant('validation');
    await expect(segments(t).create({ name: 'Bad', condition: { and: [PRO, { path: 'traits.x', op: 'like', value: 'a' }] } })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      details: { conditionPath: 'condition.and[1].op' },
    });
    await segments(t).create({ name: 'Taken', condition: PRO });
    await expect(segments(t).create({ name: 'Taken', condition: PRO })).rejects.toMatchObject({ code: 'CONFLICT' });
    // names are unique per tenant only
    await expect(segments(tenant('validation-other')).create({ name: 'Taken', condition: PRO })).resolves.toMatchObject({ name: 'Taken' });
  });

  it('rejects a malformed job as unrecoverable', async () => {
    await expect(evaluateSegments({ id: 'bad', data: { tenantId: 'x' } as never }, profiles.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(evaluateSegments({ id: 'bad', data: { tenantId: 'x', profileIds: [] } }, profiles.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(evaluateSegments({ id: 'bad', data: { tenantId: 'x', profileIds: ['a', 'b'] } }, profiles.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(evaluateSegments({ id: 'bad', data: { profileIds: [uuidv7()] } as never }, profiles.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(evaluateSegmentPage({ id: 'bad', data: { kind: 'recheck', tenantId: 'x', now: 'soon', after: null } }, profiles.deps)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });

  it('consumes evaluate-segments jobs from the real queue', async () => {
    const t = tenant('queue');
    await segments(t).create({ name: 'Pro', condition: PRO });
    const profile = await upsert(t, 'u-1', { plan: 'pro' });
    const running = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    try {
      // the lone form, as a job queued before an upgrade sits in Redis
      await queue(EVALUATE_SEGMENTS).add(EVALUATE_SEGMENTS, { tenantId: t, profileId: profile.id }, { jobId: `${t}-${profile.id}-e1` });
      await waitFor(async () => (await historyOf(t, profile.id)).length === 1);
      // and the batch form, metered in profiles
      const others = [await upsert(t, 'u-2', { plan: 'pro' }), await upsert(t, 'u-3', { plan: 'pro' })];
      await queue(EVALUATE_SEGMENTS).add(EVALUATE_SEGMENTS, { tenantId: t, profileIds: others.map((p) => p.id) }, { jobId: `${t}-segments-b1` });
      await waitFor(async () => (await queue(EVALUATE_SEGMENTS).getJobState(`${t}-segments-b1`)) === 'completed');
      for (const p of others) expect((await historyOf(t, p.id)).map((m) => m.current)).toEqual([true]);
      await waitFor(async () => (await readStageRates(profiles.deps.redis, env.config.queuePrefix, [{ stage: 'segments', tenantId: t }]))[0] * 60 === 3);
    } finally {
      await running.close();
    }
  });
});
