import { Job, type Queue } from 'bullmq';
import { MikroORM } from '@mikro-orm/core';
import type { Redis } from 'ioredis';

import { ormOptions, type Orm } from '../../subgraphs/common/orm';
import {
  EVENT_RESOLVED,
  queuePrefix,
  RAISE_ALERTS,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  SWEEP_EVENTS,
  type JobPayloads,
  type ResolveIdentityJob,
} from '../../subgraphs/common/queues';
import { createRedis } from '../../subgraphs/common/redis';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../subgraphs/profiles';
import { Profile } from '../../subgraphs/profiles/entities/profile.entity';
import { ProfileMerge } from '../../subgraphs/profiles/entities/profile-merge.entity';
import { ProfileEvent } from '../../subgraphs/profiles/entities/profile-event.entity';
import { Alert } from '../../subgraphs/actions/entities/alert.entity';
import { ActivityEvent } from '../../subgraphs/risk/entities/activity-event.entity';
import { RiskScore } from '../../subgraphs/risk/entities/risk-score.entity';
import { resolveIdentityJobId } from '../../subgraphs/signals/domain/events/resolve-identity-job';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { SWEEP_EVENTS_SCHEDULER } from '../../subgraphs/signals/workers/sweep-events.worker';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { forkSubgraph, type SubgraphProcess } from '../fixtures/subgraph-process';
import { waitFor } from '../fixtures/wait-for';

/**
 * Exactly once in effect under failure, with real processes. The profiles subgraph (whose
 * resolve-identity worker turns stored events into profiles) runs as a child process, and:
 * 1. is killed with SIGKILL while it holds jobs, mid-stream, then started again: BullMQ's
 *    stalled-job check hands the dead worker's jobs to the new one;
 * 2. is stopped while Redis loses the resolve-identity and event-resolved queues (some events
 *    resolved but never marked processed, others never started): the sweeper queues them again;
 * 3. keeps running while Redis loses the record-activity jobs after they were queued (the risk
 *    stage paused): signals' sweeper sends the batches again until risk acknowledges them; every
 *    event must reach risk once and every bucket crossing have its follow-ups (and into High, one alert);
 * 4. is stopped while Redis loses every key of the stack, the sweeper's schedule included.
 * Each time every acknowledged event must end up processed, recorded once on its user's profile,
 * and counted once in the computed traits, with one profile per user.
 *
 * Worker locks and stalled checks are shortened (QUEUE_LOCK_DURATION_MS, QUEUE_STALLED_INTERVAL_MS)
 * so recovery takes seconds; the sweeper runs every second and queues again events left
 * unprocessed for 2 s. Only keys under the stack's random prefix are deleted: Redis itself is
 * never flushed or restarted (other tests share it).
 */

const USERS = 7;
/** Devices (anonymous ids) per user: each new one starts as a profile of its own, then merges. */
const DEVICES = 3;
/**
 * Worker lock of the stack: a dead worker's jobs are taken over about this long after the kill. Long
 * enough that a live worker on a loaded 2-core machine (the whole stack and the test runner share
 * it) still renews its lock in time, so the only stall is the one the kill causes.
 */
const LOCK_MS = 6000;

/** One event as sent, and what it must add to its user's profile. */
interface SentEvent {
  messageId: string;
  user: number;
  type: 'identify' | 'track' | 'page';
  name: string | null;
  timestamp: Date;
  revenue: number | null;
  /** identify: the `seq` trait it sets. */
  seq: number | null;
  body: Record<string, unknown>;
}

const userId = (tenant: string, k: number) => `${tenant}-user-${k}`;
const anonymousId = (tenant: string, k: number, device: number) => `${tenant}-anon-${k}-${device}`;
const email = (tenant: string, k: number) => `${tenant}-${k}@example.com`;

/**
 * Event `i` of a tenant's stream of `count`, for user `i % USERS`. The stream runs in `DEVICES`
 * phases, one new anonymous id per user each; within a phase, user k's `j`-th event is an
 * anonymous page view (j = 0: a new profile), then userId-only tracks (j = 1, 2: in the first
 * phase, the user's profile), then events carrying both ids, which merge the two: identify with
 * traits (every fifth), `Order Completed` with revenue, `Product Viewed`. Timestamps are distinct
 * and in the last hour (inside every count window); without `sentAt` they are stored as sent.
 */
function makeEvent(tenant: string, i: number, count: number, base: number): SentEvent {
  const k = i % USERS;
  const phase = Math.ceil(count / DEVICES);
  const device = Math.floor(i / phase);
  const j = Math.floor((i - device * phase) / USERS);
  const timestamp = new Date(base + i * 10);
  const uid = userId(tenant, k);
  const aid = anonymousId(tenant, k, device);
  const common = { messageId: `${tenant}-m-${i}`, timestamp: timestamp.toISOString() };
  const sent = { messageId: common.messageId, user: k, timestamp, revenue: null, seq: null };
  if (j === 0) return { ...sent, type: 'page', name: 'Home', body: { ...common, anonymousId: aid, type: 'page', name: 'Home' } };
  if (j <= 2) return { ...sent, type: 'track', name: 'Product Added', body: { ...common, userId: uid, type: 'track', event: 'Product Added' } };
  const ids = { userId: uid, anonymousId: aid };
  switch (j % 5) {
    case 0:
      return {
        ...sent,
        type: 'identify',
        name: null,
        seq: i,
        body: { ...common, ...ids, type: 'identify', traits: { email: email(tenant, k), seq: i, plan: `plan-${i % 3}` } },
      };
    case 1:
    case 2: {
      // whole cents, so the expected sum is exact once rounded
      const revenue = ((i * 37) % 5000) / 100 + 1;
      return {
        ...sent,
        type: 'track',
        name: 'Order Completed',
        revenue,
        body: { ...common, ...ids, type: 'track', event: 'Order Completed', properties: { revenue, currency: 'EUR' } },
      };
    }
    default:
      return { ...sent, type: 'track', name: 'Product Viewed', body: { ...common, ...ids, type: 'track', event: 'Product Viewed' } };
  }
}

function makeStream(tenant: string, count: number, base = Date.now() - 3_600_000): SentEvent[] {
  return Array.from({ length: count }, (_, i) => makeEvent(tenant, i, count, base));
}

/** The computed traits (and last identify) of each user, computed from the events sent. */
function expectedPerUser(events: SentEvent[]) {
  const byUser = new Map<number, SentEvent[]>();
  for (const e of events) byUser.set(e.user, [...(byUser.get(e.user) ?? []), e]);
  return new Map(
    [...byUser].map(([k, list]) => {
      const times = list.map((e) => e.timestamp.getTime());
      const orders = list.filter((e) => e.name === 'Order Completed');
      const eventCounts: Record<string, Record<string, number>> = {};
      for (const e of list) {
        if (e.type !== 'track') continue;
        const n = (eventCounts[e.name!]?.['7d'] ?? 0) + 1;
        eventCounts[e.name!] = { '7d': n, '30d': n, '90d': n };
      }
      const identifies = list.filter((e) => e.type === 'identify').sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
      return [
        k,
        {
          computed: {
            eventCount: list.length,
            orderCount: orders.length,
            totalRevenue: Math.round(orders.reduce((sum, e) => sum + e.revenue!, 0) * 100) / 100,
            eventCounts,
            firstSeen: new Date(Math.min(...times)).toISOString(),
            lastSeen: new Date(Math.max(...times)).toISOString(),
            lastPurchaseAt: orders.length ? new Date(Math.max(...orders.map((e) => e.timestamp.getTime()))).toISOString() : null,
          },
          lastSeq: identifies.at(-1)?.seq ?? null,
        },
      ] as const;
    }),
  );
}

describe('ingestion durability: every acknowledged event is processed exactly once in effect', () => {
  let stack: Stack;
  let profiles: SubgraphProcess | null = null;
  /** The profiles database, read from this process (the child owns the writes). */
  let profilesDb: Orm;
  let base: string;
  let resolveQueue: Queue<ResolveIdentityJob>;
  let resolvedQueue: Queue<JobPayloads[typeof EVENT_RESOLVED]>;
  const writeKeys = new Map<string, string>();

  beforeAll(async () => {
    stack = await startStack(
      {
        QUEUE_LOCK_DURATION_MS: String(LOCK_MS),
        QUEUE_STALLED_INTERVAL_MS: '1000',
        SWEEP_INTERVAL_MS: '1000',
        SWEEP_GRACE_MS: '2000',
        INGEST_RATE_LIMIT_PER_SECOND: '100000',
      },
      { external: ['profiles'] },
    );
    base = stack.gateway.url.replace(/\/graphql$/, '');
    profiles = await startProfiles();
    // opened after the child migrated the schema; no schema work from here
    profilesDb = (await MikroORM.init(ormOptions(stack.config, profilesSubgraph.orm))) as unknown as Orm;
    resolveQueue = stack.subgraphs.signals.deps.queues.get(RESOLVE_IDENTITY);
    resolvedQueue = stack.subgraphs.signals.deps.queues.get(EVENT_RESOLVED);
  }, 120_000);

  afterAll(async () => {
    await profiles?.kill('SIGTERM');
    await profilesDb?.close(true);
    await stack?.stop();
    if (stack) {
      const redis = createRedis(stack.config.redisUrl);
      await deleteStackKeys(redis);
      await redis.quit();
    }
  });

  /** Deletes every Redis key of this stack (queues, schedules, rate limits); returns their names. */
  async function deleteStackKeys(redis: Redis): Promise<Set<string>> {
    const deleted = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${stack.config.queuePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
      keys.forEach((key) => deleted.add(key));
    } while (cursor !== '0');
    return deleted;
  }

  function startProfiles(): Promise<SubgraphProcess> {
    return forkSubgraph('profiles', stack.env);
  }

  async function writeKey(tenant: string): Promise<string> {
    if (!writeKeys.has(tenant)) writeKeys.set(tenant, await stack.key(tenant, ['events:write']));
    return writeKeys.get(tenant)!;
  }

  /** Posts one `/v1/batch`; a 200 with every event accepted is the acknowledgement. */
  async function sendBatch(tenant: string, events: SentEvent[]): Promise<void> {
    const res = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${await writeKey(tenant)}:`).toString('base64')}` },
      body: JSON.stringify({ batch: events.map((e) => e.body) }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: events.length, duplicates: 0, errors: [] });
  }

  const signalsEvents = (tenantId: string) => forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId }, { orderBy: { id: 'asc' } });
  const processedCount = (tenantId: string) => forkAcrossTenants(stack.subgraphs.signals.deps.orm).count(Event, { tenantId, processedAt: { $ne: null } });
  const allProcessed = async (tenantId: string, count: number) => (await processedCount(tenantId)) === count;
  /** Events the profiles stage has recorded for a tenant: the worker's own progress. */
  const recordedCount = (tenantId: string) => forkAcrossTenants(profilesDb).count(ProfileEvent, { tenantId });
  /** The unfinished resolve job that carries an event, if any. */
  const jobHolding = async (eventId: string) =>
    (await resolveQueue.getJobs(['waiting', 'active', 'delayed', 'prioritized'])).find((job) => job.data.events.some((e) => e.eventId === eventId));

  /**
   * The exactly-once-in-effect check of one tenant's stream: each acknowledged event stored once
   * and processed; one ProfileEvent per event, on its user's profile; one profile per user with
   * exactly its identities; computed traits and last-write-wins traits equal to what the events
   * sent imply.
   */
  async function expectExactlyOnce(tenantId: string, sent: SentEvent[]): Promise<{ merges: number }> {
    const events = await signalsEvents(tenantId);
    expect(events.map((e) => e.messageId).sort()).toEqual(sent.map((e) => e.messageId).sort());
    expect(events.filter((e) => e.processedAt === null)).toEqual([]);
    const sentByMessage = new Map(sent.map((e) => [e.messageId, e]));
    const userOfEvent = new Map(events.map((e) => [e.id, sentByMessage.get(e.messageId)!.user]));

    const em = forkAcrossTenants(profilesDb);
    const recorded = await em.find(ProfileEvent, { tenantId }, { orderBy: { eventId: 'asc' } });
    // none missing, none twice
    expect(recorded).toHaveLength(sent.length);
    expect(new Set(recorded.map((r) => r.eventId)).size).toBe(recorded.length);
    expect(recorded.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());

    const found = await em.find(Profile, { tenantId }, { populate: ['identities'] });
    expect(found).toHaveLength(USERS);
    const profileOfUser = new Map<number, Profile>();
    for (const profile of found) {
      const uid = profile.identities.getItems().find((i) => i.type === 'user_id')?.value;
      const k = Number(uid?.split('-').at(-1));
      expect(profileOfUser.has(k)).toBe(false);
      profileOfUser.set(k, profile);
      expect(
        profile.identities
          .getItems()
          .map((i) => `${i.type}:${i.value}`)
          .sort(),
      ).toEqual(
        [
          ...Array.from({ length: DEVICES }, (_, d) => `anonymous_id:${anonymousId(tenantId, k, d)}`),
          `email:${email(tenantId, k)}`,
          `user_id:${userId(tenantId, k)}`,
        ].sort(),
      );
    }
    // every recorded event sits on its user's (surviving) profile
    const misplaced = recorded.filter((r) => r.profileId !== profileOfUser.get(userOfEvent.get(r.eventId)!)!.id);
    expect(misplaced.map((r) => r.eventId)).toEqual([]);
    // the signals side names that profile, or one merged into it
    const misnamed = events.filter((e) => {
      const profile = profileOfUser.get(userOfEvent.get(e.id)!)!;
      return e.profileId !== profile.id && !profile.mergedFrom.includes(e.profileId!);
    });
    expect(misnamed.map((e) => e.messageId)).toEqual([]);

    // merged profiles are gone, and each survivor lists exactly the profiles merged into it
    const merges = await em.find(ProfileMerge, { tenantId });
    const live = new Set(found.map((p) => p.id));
    expect(merges.filter((m) => live.has(m.mergedProfileId) || !live.has(m.survivorProfileId))).toEqual([]);
    expect(found.flatMap((p) => p.mergedFrom).sort()).toEqual(merges.map((m) => m.mergedProfileId).sort());

    for (const [k, expected] of expectedPerUser(sent)) {
      const profile = profileOfUser.get(k)!;
      expect({ user: k, ...profile.computedTraits }).toMatchObject({ user: k, ...expected.computed });
      expect(Object.keys(profile.computedTraits.eventCounts as object).sort()).toEqual(Object.keys(expected.computed.eventCounts).sort());
      expect(profile.traits).toMatchObject({ email: email(tenantId, k), seq: expected.lastSeq });
    }
    return { merges: merges.length };
  }

  it('survives the profiles worker process being killed (SIGKILL) mid-stream and started again', async () => {
    const tenant = 'crash';
    const stream = makeStream(tenant, 30 * 20);
    const batches = Array.from({ length: 30 }, (_, b) => stream.slice(b * 20, b * 20 + 20));

    // Each try holds the resolve queue (paused) while it queues some batches, then lets them go and
    // kills the worker the moment a pass has taken jobs: polling the worker's progress instead raced
    // with coalesced passes that drained everything queued between two polls. Should the kill land
    // between passes, the worker is started again and the next try queues more.
    // The first try sends ten batches: around the first phase change, new devices' profiles are
    // being created and merged
    const parts = [batches.slice(0, 10), batches.slice(10, 12), batches.slice(12, 14)];
    const queuedCount = async () => {
      const counts = await resolveQueue.getJobCounts('waiting', 'prioritized');
      return counts.waiting + counts.prioritized;
    };
    let orphaned: string[] = [];
    let sent = 0;
    for (let attempt = 1; attempt <= 3 && orphaned.length === 0; attempt++) {
      if (attempt > 1) profiles = await startProfiles();
      await resolveQueue.pause();
      for (const batch of parts[attempt - 1]) await sendBatch(tenant, batch);
      sent += parts[attempt - 1].length;
      await waitFor(async () => (await queuedCount()) > 0, 30_000, 20);
      await resolveQueue.resume();
      await waitFor(async () => (await resolveQueue.getActiveCount()) > 0, 30_000, 2);
      await profiles!.kill('SIGKILL');
      expect(await profiles!.exited).toEqual({ code: null, signal: 'SIGKILL' });
      // what is still active belongs to the dead worker: its locks run out, nobody renews them
      orphaned = (await resolveQueue.getActive()).map((job) => job.id!);
    }
    expect(orphaned.length).toBeGreaterThan(0);
    // mid-stream: the rest of the stream is still to come, and is sent while the worker is down
    expect(await processedCount(tenant)).toBeLessThan(stream.length);
    const sender = (async () => {
      for (const batch of batches.slice(sent)) await sendBatch(tenant, batch);
    })();
    // awaited below; a failure must not surface as an unhandled rejection meanwhile
    sender.catch(() => undefined);

    profiles = await startProfiles();
    await sender;
    await waitFor(() => allProcessed(tenant, stream.length), 60_000, 100);

    // BullMQ's stalled-job check handed the dead worker's jobs to the new one. A job's events are
    // announced as each is resolved, before the job's last step, so its end is waited for too
    const finished = async () => (await Promise.all(orphaned.map((id) => Job.fromId(resolveQueue, id)))).every((job) => job?.finishedOn);
    await waitFor(finished, 30_000, 100);
    for (const id of orphaned) {
      const job = await Job.fromId(resolveQueue, id);
      expect({ id, stalledCounter: job?.stalledCounter, finished: Boolean(job?.finishedOn), failedReason: job?.failedReason }).toEqual({
        id,
        stalledCounter: 1,
        finished: true,
        failedReason: undefined,
      });
    }
    // each device's anonymous profile was merged into its user's along the way
    expect((await expectExactlyOnce(tenant, stream)).merges).toBeGreaterThan(0);

    // a client retrying a batch after the crash changes nothing
    const retry = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${await writeKey(tenant)}:`).toString('base64')}` },
      body: JSON.stringify({ batch: batches[0].map((e) => e.body) }),
    });
    expect(await retry.json()).toMatchObject({ accepted: 0, duplicates: 20 });

    // and the restarted process serves the result through the gateway
    const reader = await stack.key(tenant, ['profiles:read']);
    const res = await gql(
      stack.gateway.url,
      `query($v: String!) { profileByIdentity(type: USER_ID, value: $v) { computedTraits identities { type value } } }`,
      { v: userId(tenant, 0) },
      bearer(reader),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.profileByIdentity.computedTraits).toMatchObject(expectedPerUser(stream).get(0)!.computed);
    expect(res.data!.profileByIdentity.identities).toHaveLength(DEVICES + 2);
  }, 120_000);

  it('survives the queues being wiped in Redis before their jobs ran (the sweeper queues the events again)', async () => {
    const tenant = 'flush';
    const stream = makeStream(tenant, 7 * 20);
    const [resolvedFirst, neverRun] = [stream.slice(0, 60), stream.slice(60)];

    // 1. the profiles stage resolves the first events, but no `event-resolved` job runs: they
    //    are recorded on profiles and still unprocessed on the signals side
    await resolvedQueue.pause();
    for (let b = 0; b < resolvedFirst.length; b += 20) await sendBatch(tenant, resolvedFirst.slice(b, b + 20));
    await waitFor(async () => (await recordedCount(tenant)) === resolvedFirst.length, 45_000, 50);

    // 2. the worker stops; the other events are acknowledged and queued, and never start
    await profiles!.kill('SIGTERM');
    for (let b = 0; b < neverRun.length; b += 20) await sendBatch(tenant, neverRun.slice(b, b + 20));
    // the last one queued: the sweeper (2 s grace) cannot have queued it again before the check below
    const queued = (await signalsEvents(tenant)).find((e) => e.messageId === neverRun.at(-1)!.messageId)!;
    expect(await jobHolding(queued.id)).toBeDefined();

    // 3. Redis loses both queues (as in a restart without persistence), jobs and pause state alike
    await resolveQueue.obliterate({ force: true });
    await resolvedQueue.obliterate({ force: true });
    await resolvedQueue.resume();
    expect(await jobHolding(queued.id)).toBeUndefined();
    expect(await processedCount(tenant)).toBe(0);

    // 4. the worker comes back; the sweeper finds the stored, unprocessed events and queues them
    //    again: the first ones replay (recorded already), the others run for the first time
    profiles = await startProfiles();
    await waitFor(() => allProcessed(tenant, stream.length), 45_000, 100);
    expect((await expectExactlyOnce(tenant, stream)).merges).toBeGreaterThan(0);
  }, 120_000);

  it('survives Redis losing the record-activity jobs after they were queued (risk gets every event once, every crossing one alert)', async () => {
    const tenant = 'activity';
    const stream = makeStream(tenant, 7 * 20);
    const signalsDeps = stack.subgraphs.signals.deps;
    const activityQueue = signalsDeps.queues.get(RECORD_ACTIVITY);
    // 1. the risk stage takes nothing: every batch is detected and its record-activity job queued
    await activityQueue.pause();
    for (let b = 0; b < stream.length; b += 20) await sendBatch(tenant, stream.slice(b, b + 20));
    await waitFor(() => allProcessed(tenant, stream.length), 60_000, 100);
    const pendingHandOff = async () => (await signalsEvents(tenant)).filter((e) => e.handOffPendingSince !== null).length;
    expect(await pendingHandOff()).toBe(stream.length);
    const queuedJobs = (await activityQueue.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenant);
    expect(queuedJobs.length).toBeGreaterThan(0);

    // 2. Redis loses them (and the pause), after they were queued: the hand-off is still pending in SQL
    await activityQueue.obliterate({ force: true });
    await activityQueue.resume();
    // the lost jobs themselves are gone (the sweeper's resends, which may already be queued or
    // running by now, carry ids of their own)
    const survivors = await Promise.all(queuedJobs.map((j) => Job.fromId(activityQueue, j.id!)));
    expect(survivors.filter(Boolean).map((j) => j!.id)).toEqual([]);

    // 3. the sweeper sends the batches again; risk stores them and acknowledges; the markers clear
    await waitFor(async () => (await pendingHandOff()) === 0, 60_000, 100);
    const riskEm = forkAcrossTenants(stack.subgraphs.risk.deps.orm);
    const stored = await riskEm.find(ActivityEvent, { tenantId: tenant });
    // every acknowledged event reached risk, once
    expect(stored.map((a) => a.eventId).sort()).toEqual((await signalsEvents(tenant)).map((e) => e.id).sort());

    // 4. every crossing into High has exactly one alert, and no follow-up is left unacknowledged
    // (actions and profiles acknowledge each batch once stored: score-follow-ups-done)
    const owed = () =>
      forkAcrossTenants(stack.subgraphs.risk.deps.orm).count(RiskScore, { tenantId: tenant, $or: [{ followUpPendingSince: { $ne: null } }, { traitsPendingSince: { $ne: null } }] });
    await waitFor(async () => (await owed()) === 0, 60_000, 100);
    const scores = await riskEm.find(RiskScore, { tenantId: tenant });
    const byId = new Map(scores.map((s) => [s.id, s]));
    // every bucket crossing (a profile's first score included) had its follow-ups queued
    const anyCrossing = scores.filter((s) => !s.follows || byId.get(s.follows)?.bucket !== s.bucket);
    expect(anyCrossing.length).toBeGreaterThan(0);
    const alertsQueue = signalsDeps.queues.get(RAISE_ALERTS);
    // risk hands every change that is news to the alert rules in raise-alerts batches
    const handedToRules = new Set(
      (await alertsQueue.getJobs(['completed', 'waiting', 'active', 'prioritized', 'delayed']))
        .filter((j) => j.data.tenantId === tenant)
        .flatMap((j) => ('changes' in j.data ? j.data.changes.map((c) => c.scoreId) : [j.data.scoreId])),
    );
    expect(anyCrossing.filter((s) => !handedToRules.has(s.id))).toEqual([]);
    const crossings = scores.filter((s) => {
      const previous = s.follows ? byId.get(s.follows) : undefined;
      return s.bucket === 'high' && previous?.bucket !== 'high';
    });
    const actionsEm = () => forkAcrossTenants(stack.subgraphs.actions.deps.orm);
    const unfinished = async () => Object.values(await alertsQueue.getJobCounts('waiting', 'active', 'prioritized', 'delayed')).reduce((a, b) => a + b, 0);
    await waitFor(async () => (await unfinished()) === 0 && (await actionsEm().count(Alert, { tenantId: tenant })) >= crossings.length, 30_000, 100);
    const alerts = await actionsEm().find(Alert, { tenantId: tenant });
    expect(alerts.map((a) => a.sourceKey).sort()).toEqual(crossings.map((s) => `risk-${s.id}`).sort());
    console.log(`record-activity flush: ${stream.length} events acknowledged, ${queuedJobs.length} record-activity jobs lost, ${stored.length} events in risk, ${scores.length} score rows, ${anyCrossing.length} bucket crossings followed up, ${crossings.length} into High, ${alerts.length} alerts`);
    await expectExactlyOnce(tenant, stream);
  }, 150_000);

  it('survives Redis losing every key of the deployment, the sweeper’s own schedule included', async () => {
    const tenant = 'wipe';
    const stream = makeStream(tenant, 7 * 20);
    await profiles!.kill('SIGTERM');
    for (let b = 0; b < stream.length; b += 20) await sendBatch(tenant, stream.slice(b, b + 20));

    // what a Redis restart without persistence leaves: nothing of this stack (its keys only)
    const deleted = await deleteStackKeys(stack.subgraphs.signals.deps.redis);
    // gone: every event's resolve job, and the sweeper's schedule
    const prefix = queuePrefix(stack.config.queuePrefix);
    // one job per request of 20 events; the requests went one after another, so their events are
    // the stored ones in id order, 20 at a time
    const ids = (await signalsEvents(tenant)).map((e) => e.id);
    const jobKeys = Array.from({ length: ids.length / 20 }, (_, b) => `${prefix}:${RESOLVE_IDENTITY}:${resolveIdentityJobId(tenant, ids.slice(b * 20, b * 20 + 20))}`);
    expect(jobKeys).toHaveLength(7);
    expect(jobKeys.filter((key) => !deleted.has(key))).toEqual([]);
    expect(deleted).toContain(`${prefix}:${SWEEP_EVENTS}:repeat:${SWEEP_EVENTS_SCHEDULER}`);

    // the sweeper puts its schedule back, then queues the stored events again (generous wait: on a
    // cold CI machine the restarted worker and the in-process risk stage share two cores)
    profiles = await startProfiles();
    await waitFor(() => allProcessed(tenant, stream.length), 150_000, 100);
    const sweepQueue = stack.subgraphs.signals.deps.queues.get(SWEEP_EVENTS);
    expect(await sweepQueue.getJobScheduler(SWEEP_EVENTS_SCHEDULER)).toMatchObject({ key: SWEEP_EVENTS_SCHEDULER, every: 1000 });
    await expectExactlyOnce(tenant, stream);
  }, 200_000);
});
