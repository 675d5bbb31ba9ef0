import { Queue, UnrecoverableError } from 'bullmq';

import { LANE_SPAN } from '../../../subgraphs/common/fair-share';
import {
  EVALUATE_SEGMENTS,
  EVENT_RESOLVED,
  RESOLVE_IDENTITY,
  queueOptions,
  type EventToResolve,
  type QueueName,
  type ResolveIdentityJob,
} from '../../../subgraphs/common/queues';
import { PROFILE_MERGED_QUEUES } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Identity, IdentityType } from '../../../subgraphs/profiles/entities/identity.entity';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { ProfileEvent } from '../../../subgraphs/profiles/entities/profile-event.entity';
import { ProfileMerge } from '../../../subgraphs/profiles/entities/profile-merge.entity';
import { ProfileEventRepository } from '../../../subgraphs/profiles/entities/profile-event.repository';
import { IdentityResolutionService } from '../../../subgraphs/profiles/services/identity-resolution.service';
import { ProfileService } from '../../../subgraphs/profiles/services/profile.service';
import { createSegmentService } from '../../../subgraphs/profiles/services/segment.service';
import { resolveIdentity } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

/** One event of a resolve job as the signals stage sends it. Each test uses its own tenant. */
const ev = (tenantId: string, over: Partial<EventToResolve> = {}): EventToResolve => resolveJob(tenantId, over);

describe('resolveIdentity', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  const queues: Partial<Record<QueueName, Queue>> = {};

  beforeAll(async () => {
    env = await createTestEnv({ IDENTITY_JUNK_VALUES: 'test-user, N/A' });
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    // segment evaluations are queued only for a tenant that has a segment
    for (const t of ['replay', 'follow-ups', 'history-lane', 'batch-order', 'poison']) {
      await createSegmentService(profiles.deps, t).create({ name: 'Pro', condition: { path: 'traits.plan', op: 'eq', value: 'pro' } });
    }
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await profiles?.close();
    await env?.cleanup();
  });

  /** Runs a job of one event, as the worker would, and returns that event's outcome. */
  const run = async (event: EventToResolve) =>
    (await resolveIdentity({ id: `${event.tenantId}-${event.eventId}`, data: { tenantId: event.tenantId, events: [event] } }, profiles.deps))[0]!;
  const em = () => forkAcrossTenants(profiles.deps.orm);
  const service = (tenantId: string) => new ProfileService(em(), tenantId);
  const profileOf = async (tenantId: string, type: IdentityType, value: string) => (await service(tenantId).byIdentity(type, value))!;
  const identitiesOf = async (tenantId: string, profileId: string) =>
    (await em().find(Identity, { tenantId, profile: profileId }, { orderBy: { type: 'asc', value: 'asc' } })).map(
      (i) => `${i.type}:${i.value}`,
    );
  const countOf = async (entity: typeof Profile | typeof ProfileEvent | typeof ProfileMerge | typeof Identity, tenantId: string) =>
    em().count(entity as typeof Profile, { tenantId });
  const queue = (name: QueueName) => (queues[name] ??= new Queue(name, queueOptions(profiles.deps.redis, env.config.queuePrefix)));
  /** The job's one `event-resolved` batch (job id `<tenantId>-<first eventId>-<last eventId>`). */
  const resolvedBatch = async (tenantId: string, events: EventToResolve[]) =>
    queue(EVENT_RESOLVED).getJob(`${tenantId}-${events[0].eventId}-${events[events.length - 1].eventId}`);
  /** The `evaluate-segments` jobs of resolve jobs starting with this event (id `<tenantId>-segments-<first eventId>-<digest>`), any state. */
  const evaluationsOf = async (tenantId: string, first: EventToResolve) =>
    (await queue(EVALUATE_SEGMENTS).getJobs()).filter((j) => j.id?.startsWith(`${tenantId}-segments-${first.eventId}-`));

  it('anonymous → identified: the identify call attaches userId and email to the anonymous profile', async () => {
    const t = 'anon-to-known';
    const first = await run(ev(t, { anonymousId: 'a-1' }));
    expect(first.action).toBe('create');
    const identify = await run(
      ev(t, { type: 'identify', name: null, anonymousId: 'a-1', userId: 'u-1', traits: { email: 'Ada@Example.com', plan: 'pro' } }),
    );
    expect(identify).toMatchObject({ action: 'attach', profileId: first.profileId, mergedIds: [] });
    expect(await identitiesOf(t, first.profileId)).toEqual(['anonymous_id:a-1', 'email:ada@example.com', 'user_id:u-1']);
    expect((await profileOf(t, IdentityType.USER_ID, 'u-1')).traits).toEqual({ email: 'Ada@Example.com', plan: 'pro' });
    expect(await countOf(Profile, t)).toBe(1);
  });

  it('two devices of one user: the second device’s profile merges into the user’s, with its history', async () => {
    const t = 'two-devices';
    const phone = await run(ev(t, { type: 'identify', name: null, userId: 'u-1', anonymousId: 'phone', traits: { plan: 'pro' }, timestamp: ago(3 * HOUR) }));
    const laptop = await run(ev(t, { anonymousId: 'laptop', timestamp: ago(2 * HOUR) }));
    await run(ev(t, { type: 'identify', name: null, anonymousId: 'laptop', traits: { city: 'Oslo' }, timestamp: ago(2 * HOUR) }));
    expect(laptop.profileId).not.toBe(phone.profileId);

    const login = ev(t, { type: 'identify', name: null, userId: 'u-1', anonymousId: 'laptop', timestamp: ago(HOUR) });
    const merged = await run(login);
    expect(merged).toMatchObject({ action: 'merge', profileId: phone.profileId, mergedIds: [laptop.profileId] });

    expect(await countOf(Profile, t)).toBe(1);
    expect(await identitiesOf(t, phone.profileId)).toEqual(['anonymous_id:laptop', 'anonymous_id:phone', 'user_id:u-1']);
    const survivor = await profileOf(t, IdentityType.ANONYMOUS_ID, 'laptop');
    expect(survivor.id).toBe(phone.profileId);
    expect(survivor.traits).toEqual({ plan: 'pro', city: 'Oslo' });
    expect(survivor.mergedFrom).toEqual([laptop.profileId]);
    expect(survivor.computedTraits).toMatchObject({ eventCount: 4, eventCounts: { 'Product Viewed': { '7d': 1 } } });
    expect(await em().count(ProfileEvent, { tenantId: t, profileId: phone.profileId })).toBe(4);
    expect(await em().find(ProfileMerge, { tenantId: t })).toEqual([
      expect.objectContaining({ mergedProfileId: laptop.profileId, survivorProfileId: phone.profileId, reason: 'shared_identity', eventId: login.eventId }),
    ]);
    // the merged id still answers, with the survivor
    expect((await service(t).byId(laptop.profileId))?.id).toBe(phone.profileId);
  });

  it('follows a merge chain: an id merged twice resolves to the last survivor', async () => {
    const t = 'chain';
    const a = await run(ev(t, { anonymousId: 'a', timestamp: ago(5 * HOUR) }));
    const b = await run(ev(t, { anonymousId: 'b', timestamp: ago(4 * HOUR) }));
    const c = await run(ev(t, { userId: 'u-c', timestamp: ago(3 * HOUR) }));
    // a and b merge (a is older and survives), then a merges into the user's profile
    expect(await run(ev(t, { anonymousId: 'b', traits: { phone: '555 0100' } }))).toMatchObject({ profileId: b.profileId });
    expect(await run(ev(t, { anonymousId: 'a', traits: { phone: '555 0100' } }))).toMatchObject({ profileId: a.profileId, mergedIds: [b.profileId] });
    expect(await run(ev(t, { userId: 'u-c', anonymousId: 'a' }))).toMatchObject({ profileId: c.profileId, mergedIds: [a.profileId] });
    const [viaB, viaA] = await Promise.all([service(t).byId(b.profileId), service(t).byId(a.profileId)]);
    expect([viaB?.id, viaA?.id]).toEqual([c.profileId, c.profileId]);
    expect((await service(t).byId(c.profileId))!.mergedFrom.sort()).toEqual([a.profileId, b.profileId].sort());
  });

  it('never merges two userIds: an email shared by two users stays with its first owner', async () => {
    const t = 'shared-email';
    const u1 = await run(ev(t, { type: 'identify', name: null, userId: 'u-1', traits: { email: 'family@example.com' } }));
    const u2 = await run(ev(t, { type: 'identify', name: null, userId: 'u-2', traits: { email: 'family@example.com' } }));
    expect(u2.action).toBe('create');
    expect(u2.profileId).not.toBe(u1.profileId);
    expect(await identitiesOf(t, u1.profileId)).toEqual(['email:family@example.com', 'user_id:u-1']);
    expect(await identitiesOf(t, u2.profileId)).toEqual(['user_id:u-2']);
    // an anonymous event with that email goes to its owner, and u-2's next event to u-2
    expect((await run(ev(t, { anonymousId: 'x', traits: { email: 'family@example.com' } }))).profileId).toBe(u1.profileId);
    expect((await run(ev(t, { userId: 'u-2', traits: { email: 'family@example.com' } }))).profileId).toBe(u2.profileId);
    expect(await countOf(ProfileMerge, t)).toBe(0);
  });

  it('never turns junk values (built-in or configured) into identities', async () => {
    const t = 'junk';
    const one = await run(ev(t, { userId: 'u-1', anonymousId: 'anonymous', traits: { email: 'undefined', phone: 'N/A' } }));
    const two = await run(ev(t, { userId: 'u-2', anonymousId: 'anonymous' }));
    expect(two.profileId).not.toBe(one.profileId);
    expect(await identitiesOf(t, one.profileId)).toEqual(['user_id:u-1']);
    // an event with nothing but junk is processed unattributed rather than failed forever
    const nobody = ev(t, { userId: 'TEST-USER', anonymousId: '00000000-0000-0000-0000-000000000000' });
    await expect(resolveIdentity({ id: 'nobody', data: { tenantId: t, events: [nobody] } }, profiles.deps)).resolves.toEqual([null]);
    expect((await resolvedBatch(t, [nobody]))?.data).toEqual({ tenantId: t, events: [{ eventId: nobody.eventId, profileId: null }] });
    expect(await countOf(Profile, t)).toBe(2);
  });

  it('alias links previousId to userId, merging the anonymous profile into the user’s', async () => {
    const t = 'alias';
    const anon = await run(ev(t, { anonymousId: 'a-9', timestamp: ago(2 * HOUR) }));
    const user = await run(ev(t, { type: 'identify', name: null, userId: 'u-9', timestamp: ago(HOUR) }));
    const alias = ev(t, { type: 'alias', name: null, userId: 'u-9', previousId: 'a-9' });
    expect(await run(alias)).toMatchObject({ action: 'merge', profileId: user.profileId, mergedIds: [anon.profileId] });
    expect(await identitiesOf(t, user.profileId)).toEqual(['anonymous_id:a-9', 'user_id:u-9']);
    expect(await em().findOne(ProfileMerge, { tenantId: t, mergedProfileId: anon.profileId })).toMatchObject({ reason: 'alias', eventId: alias.eventId });

    // an alias from one user id to another never merges them
    const other = await run(ev(t, { userId: 'u-10' }));
    expect((await run(ev(t, { type: 'alias', name: null, userId: 'u-10', previousId: 'u-9' }))).profileId).toBe(other.profileId);
    expect(await countOf(Profile, t)).toBe(2);
  });

  it('applies identify traits by event time: an older identify arriving late does not overwrite', async () => {
    const t = 'lww';
    await run(ev(t, { type: 'identify', name: null, userId: 'u-1', traits: { plan: 'pro', seats: 5 }, timestamp: ago(HOUR) }));
    await run(ev(t, { type: 'identify', name: null, userId: 'u-1', traits: { plan: 'free', city: 'Oslo' }, timestamp: ago(2 * HOUR) }));
    const profile = await profileOf(t, IdentityType.USER_ID, 'u-1');
    expect(profile.traits).toEqual({ plan: 'pro', seats: 5, city: 'Oslo' });
    // a track event carries no traits to apply
    await run(ev(t, { userId: 'u-1', traits: { plan: 'trial' } }));
    expect((await profileOf(t, IdentityType.USER_ID, 'u-1')).traits.plan).toBe('pro');
  });

  it('is a no-op when a job is replayed, and still sends the follow-ups', async () => {
    const t = 'replay';
    await run(ev(t, { anonymousId: 'dev-2' }));
    await run(ev(t, { type: 'identify', name: null, userId: 'u-1', traits: { plan: 'pro' } }));
    const job = ev(t, { type: 'identify', name: null, userId: 'u-1', anonymousId: 'dev-2', traits: { plan: 'max' } });
    const first = await run(job);
    const snapshot = async () => ({
      profiles: await countOf(Profile, t),
      identities: await countOf(Identity, t),
      events: await countOf(ProfileEvent, t),
      merges: await countOf(ProfileMerge, t),
      profile: await em()
        .findOneOrFail(Profile, { tenantId: t, id: first.profileId })
        .then(({ traits, traitTimestamps, computedTraits, mergedFrom, updatedAt }) => ({ traits, traitTimestamps, computedTraits, mergedFrom, updatedAt })),
    });
    const before = await snapshot();
    const again = await run(job);
    expect(again).toEqual({ ...first, recorded: false, action: 'replay' });
    expect(await snapshot()).toEqual(before);

    // the follow-ups were lost (say, Redis flushed): the replay sends them again
    const mergedId = first.mergedIds[0];
    // the running profiles worker may hold the job for a moment: remove it once it is free
    await waitFor(async () => {
      const lost = await evaluationsOf(t, job);
      return lost.length ? Promise.all(lost.map((j) => j.remove())).then(() => true, () => false) : true;
    });
    await run(job);
    expect((await evaluationsOf(t, job)).map((j) => j.data)).toEqual([{ tenantId: t, profileIds: [first.profileId, mergedId] }]);
  });

  it('enqueues event-resolved and evaluate-segments (also for merged profiles) with deterministic ids', async () => {
    const t = 'follow-ups';
    const anon = await run(ev(t, { anonymousId: 'a-1' }));
    const user = await run(ev(t, { userId: 'u-1' }));
    const link = ev(t, { userId: 'u-1', anonymousId: 'a-1' });
    await run(link);
    await run(link);

    const resolved = await resolvedBatch(t, [link]);
    expect(resolved?.data).toEqual({ tenantId: t, events: [{ eventId: link.eventId, profileId: user.profileId }] });
    // one evaluate-segments job for the resolve job: the survivor and the merged-away profile
    const evaluations = await evaluationsOf(t, link);
    expect(evaluations.map((j) => j.data)).toEqual([{ tenantId: t, profileIds: [user.profileId, anon.profileId] }]);
    // fair-ordered in the live lane (a live job carries no lane)
    expect(evaluations[0].opts.priority).toBeGreaterThan(0);
    expect(evaluations[0].opts.priority).toBeLessThan(LANE_SPAN);
    // the replay added no second job
    const ids = (await queue(EVENT_RESOLVED).getJobs()).map((j) => j.id).filter((id) => id === `${t}-${link.eventId}-${link.eventId}`);
    expect(ids).toHaveLength(1);
  });

  it('queues no segment evaluation for a tenant without segments (nothing is owed), but still the event-resolved hand-off', async () => {
    const t = 'no-segments';
    const event = ev(t, { userId: 'u-1' });
    const outcome = await run(event);
    expect((await resolvedBatch(t, [event]))?.data).toEqual({ tenantId: t, events: [{ eventId: event.eventId, profileId: outcome.profileId }] });
    expect(await evaluationsOf(t, event)).toHaveLength(0);
  });

  it('sends the segment evaluation of a history batch in the history lane', async () => {
    const t = 'history-lane';
    const events = [ev(t, { userId: 'u-1' }), ev(t, { userId: 'u-2' }), ev(t, { userId: 'u-1' })];
    const outcomes = await resolveIdentity({ id: 'h-1', data: { tenantId: t, events, lane: 'history' } }, profiles.deps);
    const [evaluation] = await evaluationsOf(t, events[0]);
    expect(evaluation.data).toEqual({ tenantId: t, lane: 'history', profileIds: [outcomes[0]!.profileId, outcomes[1]!.profileId] });
    expect(evaluation.opts.priority).toBeGreaterThanOrEqual(LANE_SPAN);
  });

  it('sends each merge to signals and actions on their own queues, once per merged profile', async () => {
    const t = 'merge-notices';
    const anon = await run(ev(t, { anonymousId: 'a-1' }));
    const user = await run(ev(t, { userId: 'u-1' }));
    const link = ev(t, { userId: 'u-1', anonymousId: 'a-1' });
    await run(link);
    await run(link);
    for (const name of PROFILE_MERGED_QUEUES) {
      const jobs = (await queue(name).getJobs()).filter((j) => j.id === `${t}-merge-${anon.profileId}`);
      expect(jobs.map((j) => j.data)).toEqual([{ tenantId: t, profileId: user.profileId, mergedProfileId: anon.profileId }]);
    }
  });

  it('keeps computed traits current from the event log', async () => {
    const t = 'computed';
    const base = { userId: 'u-1' };
    await run(ev(t, { ...base, name: 'Product Viewed', timestamp: ago(DAY) }));
    await run(ev(t, { ...base, name: 'Product Viewed', timestamp: ago(10 * DAY) }));
    const oldest = ago(100 * DAY);
    await run(ev(t, { ...base, name: 'Product Viewed', timestamp: oldest }));
    await run(ev(t, { ...base, name: 'Order Completed', properties: { revenue: 40.5, total: 45 }, timestamp: ago(40 * DAY) }));
    const last = ago(2 * DAY);
    await run(ev(t, { ...base, name: 'Order Completed', properties: { total: '19.99' }, timestamp: last }));
    const latest = ago(HOUR);
    await run(ev(t, { ...base, type: 'page', name: 'Pricing', timestamp: latest }));

    const { computedTraits } = await profileOf(t, IdentityType.USER_ID, 'u-1');
    expect(computedTraits).toEqual({
      eventCounts: {
        'Product Viewed': { '7d': 1, '30d': 2, '90d': 2 },
        'Order Completed': { '7d': 1, '30d': 1, '90d': 2 },
      },
      eventCount: 6,
      firstSeen: oldest,
      lastSeen: latest,
      lastPurchaseAt: last,
      orderCount: 2,
      totalRevenue: 60.49,
      computedAt: expect.stringMatching(/^\d{4}-/),
    });
  });

  it('stores the account of group events, shared by its members and moved on merge', async () => {
    const t = 'groups';
    const ada = await run(ev(t, { type: 'group', name: null, userId: 'ada', groupId: 'acme', traits: { name: 'Acme', plan: 'basic' }, timestamp: ago(2 * HOUR) }));
    const bob = await run(ev(t, { type: 'group', name: null, userId: 'bob', groupId: 'acme', traits: { plan: 'enterprise' }, timestamp: ago(HOUR) }));
    const anon = await run(ev(t, { type: 'group', name: null, anonymousId: 'ada-laptop', groupId: 'side-project', traits: {} }));
    const [adaGroups, bobGroups] = await Promise.all([service(t).groupsFor(ada.profileId), service(t).groupsFor(bob.profileId)]);
    expect(adaGroups).toEqual([{ groupId: 'acme', traits: { name: 'Acme', plan: 'enterprise' }, linkedAt: expect.any(Date) }]);
    expect(bobGroups.map((g) => g.groupId)).toEqual(['acme']);
    // group traits never become identities or profile traits
    expect((await service(t).byId(ada.profileId))!.traits).toEqual({});

    await run(ev(t, { userId: 'ada', anonymousId: 'ada-laptop' }));
    expect((await service(t).groupsFor(ada.profileId)).map((g) => g.groupId)).toEqual(['acme', 'side-project']);
    expect(await service(t).groupsFor(anon.profileId)).toEqual([]);
  });

  it('resolves concurrent events of one new visitor to one profile', async () => {
    const t = 'concurrent';
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => run(ev(t, { anonymousId: 'busy', userId: null }))));
    expect(new Set(outcomes.map((o) => o.profileId)).size).toBe(1);
    expect(await countOf(Profile, t)).toBe(1);
    expect(await countOf(ProfileEvent, t)).toBe(6);
  });

  it.each<[string, Partial<EventToResolve>]>([
    ['no tenant', { tenantId: '' }],
    ['an event id that is not a UUID', { eventId: 'evt-1' }],
    ['an unknown type', { type: 'screenview' as EventToResolve['type'] }],
    ['a bad timestamp', { timestamp: 'yesterday' }],
    ['traits that are not an object', { traits: 'x' as unknown as Record<string, unknown> }],
  ])('rejects a payload with %s as unrecoverable', async (_name, over) => {
    await expect(run(ev('malformed', { anonymousId: 'a', ...over }))).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('rejects as unrecoverable a job without events, or with an event of another tenant, naming the event', async () => {
    const job = (data: unknown) => resolveIdentity({ id: 'bad', data: data as ResolveIdentityJob }, profiles.deps);
    await expect(job({ tenantId: 'malformed', events: [] })).rejects.toThrow(/events must be a non-empty array/);
    const own = ev('malformed', { anonymousId: 'a' });
    const other = ev('someone-else', { anonymousId: 'b' });
    await expect(job({ tenantId: 'malformed', events: [own, other] })).rejects.toThrow(/events\[1\]: tenantId must be the job's \(malformed\)/);
    // nothing of the good event was written either: the whole payload is checked first
    expect(await countOf(ProfileEvent, 'malformed')).toBe(0);
    expect(await countOf(ProfileEvent, 'someone-else')).toBe(0);
  });

  it('resolves the events of one job in the order received: the identify links the device before the tracks that follow', async () => {
    const t = 'batch-order';
    const events = [
      ev(t, { anonymousId: 'dev-1' }),
      ev(t, { type: 'identify', name: null, anonymousId: 'dev-1', userId: 'u-1', traits: { plan: 'pro' } }),
      ev(t, { anonymousId: 'dev-2', userId: 'u-1' }),
      ev(t, { anonymousId: 'dev-2' }),
    ];
    const outcomes = await resolveIdentity({ id: 'job-1', data: { tenantId: t, events } }, profiles.deps);
    expect(outcomes.map((o) => o?.action)).toEqual(['create', 'attach', 'attach', 'attach']);
    expect(new Set(outcomes.map((o) => o?.profileId)).size).toBe(1);
    expect(await identitiesOf(t, outcomes[0]!.profileId)).toEqual(['anonymous_id:dev-1', 'anonymous_id:dev-2', 'user_id:u-1']);
    expect(await countOf(ProfileEvent, t)).toBe(4);
    // every event is reported to signals, in order, in the job's one batch
    expect((await resolvedBatch(t, events))?.data).toEqual({
      tenantId: t,
      events: events.map((e) => ({ eventId: e.eventId, profileId: outcomes[0]!.profileId })),
    });
    // and segments are evaluated once for the profile, not once per event
    const evaluations = (await queue(EVALUATE_SEGMENTS).getJobs()).filter((j) => (j.data as { tenantId: string }).tenantId === t);
    expect(evaluations.map((j) => j.data)).toEqual([{ tenantId: t, profileIds: [outcomes[0]!.profileId] }]);
    expect(evaluations[0].id).toMatch(new RegExp(`^${t}-segments-${events[0].eventId}-[0-9a-f]{16}$`));

    // the job run again (a retry after a crash): every event replays, nothing is written twice
    const again = await resolveIdentity({ id: 'job-1', data: { tenantId: t, events } }, profiles.deps);
    expect(again.map((o) => o?.recorded)).toEqual([false, false, false, false]);
    expect(await countOf(ProfileEvent, t)).toBe(4);
    expect(await countOf(Profile, t)).toBe(1);
    // and queues no second evaluation (same first event, same profiles: same job id)
    expect((await queue(EVALUATE_SEGMENTS).getJobs()).filter((j) => (j.data as { tenantId: string }).tenantId === t)).toHaveLength(1);
  });

  it('resolves two customers’ interleaved events side by side, each customer’s in order', async () => {
    const t = 'batch-two';
    const events = [
      ev(t, { anonymousId: 'dev-a' }),
      ev(t, { anonymousId: 'dev-b' }),
      ev(t, { type: 'identify', name: null, anonymousId: 'dev-a', userId: 'u-a', traits: { plan: 'pro' } }),
      ev(t, { type: 'identify', name: null, anonymousId: 'dev-b', userId: 'u-b', traits: { plan: 'free' } }),
      ev(t, { userId: 'u-a' }),
      ev(t, { userId: 'u-b' }),
    ];
    const outcomes = await resolveIdentity({ id: 'job-two', data: { tenantId: t, events } }, profiles.deps);
    const [a, b] = [outcomes[0]!.profileId, outcomes[1]!.profileId];
    expect(a).not.toBe(b);
    expect(outcomes.map((o) => o?.profileId)).toEqual([a, b, a, b, a, b]);
    expect(await identitiesOf(t, a)).toEqual(['anonymous_id:dev-a', 'user_id:u-a']);
    expect(await identitiesOf(t, b)).toEqual(['anonymous_id:dev-b', 'user_id:u-b']);
    expect((await profileOf(t, IdentityType.USER_ID, 'u-b')).traits).toEqual({ plan: 'free' });
    expect(await countOf(ProfileEvent, t)).toBe(6);
  });

  it('resolves the other events of a job when one fails, then fails the job so BullMQ retries it; the retry finishes', async () => {
    const t = 'poison';
    const events = [ev(t, { anonymousId: 'p-1' }), ev(t, { anonymousId: 'p-2' }), ev(t, { anonymousId: 'p-3' })];
    // fault injection on our own services (the database stays real): the batch write fails, so its
    // customers take the per-event path, where the middle event fails once
    const batchWrite = jest.spyOn(ProfileEventRepository.prototype, 'insertOrIgnore').mockRejectedValueOnce(new Error('database went away'));
    const original = IdentityResolutionService.prototype.resolve;
    const failing = jest.spyOn(IdentityResolutionService.prototype, 'resolve').mockImplementation(function (this: IdentityResolutionService, event) {
      return event.eventId === events[1].eventId ? Promise.reject(new Error('database went away')) : original.call(this, event);
    });
    try {
      await expect(resolveIdentity({ id: 'job-p', data: { tenantId: t, events } }, profiles.deps)).rejects.toThrow(
        `resolve-identity: 1 of 3 events failed (first, ${events[1].eventId}: database went away)`,
      );
    } finally {
      failing.mockRestore();
      batchWrite.mockRestore();
    }
    expect(await countOf(ProfileEvent, t)).toBe(2);
    // signals hears of the job's events once all are resolved: not yet
    expect(await resolvedBatch(t, events)).toBeUndefined();

    const retried = await resolveIdentity({ id: 'job-p', data: { tenantId: t, events } }, profiles.deps);
    expect(retried.map((o) => o?.recorded)).toEqual([false, true, false]);
    expect(await countOf(ProfileEvent, t)).toBe(3);
    expect((await resolvedBatch(t, events))?.data.events).toEqual(events.map((e, i) => ({ eventId: e.eventId, profileId: retried[i]!.profileId })));
    // the failed try evaluated the segments of what it resolved; the retry, which got further, of all three
    const evaluated = (await evaluationsOf(t, events[0])).map((j) => ('profileIds' in j.data ? [...j.data.profileIds].sort() : []));
    expect(evaluated.sort((a, b) => a.length - b.length)).toEqual([
      [retried[0]!.profileId, retried[2]!.profileId].sort(),
      retried.map((o) => o!.profileId).sort(),
    ]);
  });

  it('consumes jobs from the real resolve-identity queue, once per job id', async () => {
    const t = 'queue';
    const resolve = queue(RESOLVE_IDENTITY);
    const data = { tenantId: t, events: [ev(t, { anonymousId: 'q-1' }), ev(t, { anonymousId: 'q-2' })] };
    const jobId = `${t}-${data.events[0].eventId}-${data.events[1].eventId}`;
    await resolve.add(RESOLVE_IDENTITY, data, { jobId });
    await resolve.add(RESOLVE_IDENTITY, data, { jobId });
    await waitFor(async () => (await resolvedBatch(t, data.events)) !== undefined);
    expect(await countOf(ProfileEvent, t)).toBe(2);
    expect(await countOf(Profile, t)).toBe(2);
  });

  it('takes the resolve jobs waiting behind one into the same pass: one event-resolved hand-off per pass, each job settled', async () => {
    const t = 'pass';
    const resolve = queue(RESOLVE_IDENTITY);
    // one customer's events over four jobs (their order kept across the pass), another customer alone
    const jobs = [0, 1, 2, 3].map((i) => ({ tenantId: t, events: [ev(t, { userId: 'pass-u1', anonymousId: `pass-a${i}` }), ev(t, { anonymousId: `pass-x${i}` })] }));
    await resolve.pause();
    const ids: string[] = [];
    for (const data of jobs) ids.push((await resolve.add(RESOLVE_IDENTITY, data, { jobId: `${t}-${data.events[0].eventId}` })).id!);
    const malformed = await resolve.add(RESOLVE_IDENTITY, { tenantId: t, events: [] } as ResolveIdentityJob, { jobId: `${t}-malformed` });
    await resolve.resume();
    const state = async (id: string) => (await resolve.getJob(id))?.getState();
    await waitFor(async () => (await Promise.all(ids.map(state))).every((st) => st === 'completed') && (await state(malformed.id!)) === 'failed');
    // every event resolved once; the user's four anonymous ids all on the user's one profile
    expect(await countOf(ProfileEvent, t)).toBe(8);
    const user = await profileOf(t, IdentityType.USER_ID, 'pass-u1');
    expect((await identitiesOf(t, user.id)).filter((i) => i.startsWith('anonymous_id:'))).toHaveLength(4);
    // one hand-off to signals per pass: the four jobs went in at most two passes (two run at once)
    const handOffs = (await queue(EVENT_RESOLVED).getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === t);
    expect(handOffs.length).toBeLessThanOrEqual(2);
    expect(handOffs.flatMap((j) => ('events' in j.data ? j.data.events.map((e: { eventId: string }) => e.eventId) : [])).sort()).toEqual(jobs.flatMap((j) => j.events.map((e) => e.eventId)).sort());
  });
});
