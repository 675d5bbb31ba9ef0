import { Job, type Queue } from 'bullmq';
import { MikroORM } from '@mikro-orm/core';
import type { Redis } from 'ioredis';

import { actionsSubgraph } from '../../subgraphs/actions';
import { Alert } from '../../subgraphs/actions/entities/alert.entity';
import { ormOptions, type Orm } from '../../subgraphs/common/orm';
import {
  ACTIVITY_RECORDED,
  EVALUATE_SEGMENTS,
  EVENT_RESOLVED,
  RAISE_ALERTS,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  SET_COMPUTED_TRAITS,
  type QueueName,
} from '../../subgraphs/common/queues';
import { createRedis } from '../../subgraphs/common/redis';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Profile } from '../../subgraphs/profiles/entities/profile.entity';
import { ProfileEvent } from '../../subgraphs/profiles/entities/profile-event.entity';
import { riskSubgraph } from '../../subgraphs/risk';
import { ActivityEvent } from '../../subgraphs/risk/entities/activity-event.entity';
import { RiskScore } from '../../subgraphs/risk/entities/risk-score.entity';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { startStack, type Stack } from '../fixtures/stack';
import { forkSubgraph, type SubgraphProcess } from '../fixtures/subgraph-process';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy';
import { usePostgres } from '../fixtures/test-config';
import { waitFor } from '../fixtures/wait-for';

/**
 * Exactly once in effect under failure, past the profiles stage (ingestion-durability.test.ts
 * covers that one), with real processes: the risk and actions subgraphs run as child processes.
 * 1. risk is killed (SIGKILL) while it holds `record-activity` jobs, mid-stream, and started again;
 * 2. actions is killed while it holds `raise-alerts` jobs, and started again;
 * 3. (PostgreSQL) the database goes away for longer than the jobs' retry budget, so jobs of every
 *    stage fail for good; once it is back the sweepers recover every hand-off from SQL.
 * Each time every acknowledged event must reach risk once, every profile have its score, and every
 * crossing into High have exactly one alert.
 *
 * The stream crosses into High for real, with the documented prior (no trained model): a third of
 * the customers were active every day about three months ago and silent since (silence much longer
 * than their usual gap), a third came back today after that (High, then Low again), a third are
 * active today only (Low).
 *
 * The database outage is a TCP proxy between every process of the stack and PostgreSQL that drops
 * every connection and refuses new ones: the shared PostgreSQL server is never stopped, and Redis
 * is never flushed (only this stack's keys are deleted at the end).
 */

const USERS = 12;
const PER_USER = 20;
const DAY_MS = 86_400_000;
/** Worker lock: a dead worker's jobs are taken over about this long after the kill (see ingestion-durability). */
const LOCK_MS = 6000;
/** Tries of every job (QUEUE_JOB_ATTEMPTS): with backoff 0.5 s then 1 s, a job fails for good about 1.5 s into an outage. */
const JOB_ATTEMPTS = 3;
/** The outage lasts at least this long, well past the retry budget above (and until every stage job gave up). */
const OUTAGE_MS = 6000;
/** Stage queues whose jobs carry a tenant's work. */
const STAGE_QUEUES: QueueName[] = [RESOLVE_IDENTITY, EVENT_RESOLVED, RECORD_ACTIVITY, ACTIVITY_RECORDED, RAISE_ALERTS, SET_COMPUTED_TRAITS, EVALUATE_SEGMENTS];

interface SentEvent {
  messageId: string;
  body: Record<string, unknown>;
}

/**
 * Event `i` of a tenant's stream, for user `i % USERS` (its `j`-th): users 0, 3, 6, … were active
 * three events a day from 88 days ago (their last day 82 days ago: the prior puts them in High);
 * users 1, 4, 7, … the same, but their last event is today (High, then back to Low); the others
 * are active in the last hour only (Low).
 */
function makeEvent(tenant: string, i: number, now: number): SentEvent {
  const k = i % USERS;
  const j = Math.floor(i / USERS);
  const old = now - 88 * DAY_MS + Math.floor(j / 3) * DAY_MS + (j % 3) * 3_600_000 + k * 1000;
  const recent = now - 3_600_000 + i * 10;
  const timestamp = k % 3 === 0 || (k % 3 === 1 && j < PER_USER - 1) ? old : recent;
  const messageId = `${tenant}-m-${i}`;
  return {
    messageId,
    body: { messageId, userId: `${tenant}-user-${k}`, type: 'track', event: 'Product Viewed', timestamp: new Date(timestamp).toISOString() },
  };
}

const makeStream = (tenant: string, now = Date.now()) => Array.from({ length: USERS * PER_USER }, (_, i) => makeEvent(tenant, i, now));
const inBatches = <T>(list: T[], size: number) => Array.from({ length: Math.ceil(list.length / size) }, (_, b) => list.slice(b * size, b * size + size));

describe('pipeline durability: risk and actions crash, the database goes away', () => {
  let stack: Stack;
  let risk: SubgraphProcess | null = null;
  let actions: SubgraphProcess | null = null;
  /** PostgreSQL only: every process of the stack reaches the database through it. */
  let proxy: TcpProxy | null = null;
  /** The database's own URL (PostgreSQL), for this process's reads: they must not depend on the proxy. */
  let directUrl: string | null = null;
  let riskDb: Orm;
  let actionsDb: Orm;
  let base: string;
  const writeKeys = new Map<string, string>();

  beforeAll(async () => {
    if (usePostgres) {
      const admin = new URL(process.env.TEST_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
      proxy = await startTcpProxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    }
    stack = await startStack(
      {
        QUEUE_LOCK_DURATION_MS: String(LOCK_MS),
        QUEUE_STALLED_INTERVAL_MS: '1000',
        QUEUE_JOB_ATTEMPTS: String(JOB_ATTEMPTS),
        SWEEP_INTERVAL_MS: '1000',
        SWEEP_GRACE_MS: '2000',
        INGEST_RATE_LIMIT_PER_SECOND: '100000',
        // the outage makes every stage warn on each try; errors still show
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
      },
      {
        external: ['risk', 'actions'],
        databaseUrl: (url) => {
          directUrl = url;
          const viaProxy = new URL(url);
          viaProxy.hostname = '127.0.0.1';
          viaProxy.port = String(proxy!.port);
          return viaProxy.toString();
        },
      },
    );
    base = stack.gateway.url.replace(/\/graphql$/, '');
    risk = await start('risk');
    actions = await start('actions');
    // opened after the children migrated their schemas; reads only
    const readConfig = { ...stack.config, databaseUrl: directUrl ?? stack.config.databaseUrl };
    riskDb = (await MikroORM.init(ormOptions(readConfig, riskSubgraph.orm))) as unknown as Orm;
    actionsDb = (await MikroORM.init(ormOptions(readConfig, actionsSubgraph.orm))) as unknown as Orm;
  }, 240_000);

  afterAll(async () => {
    await risk?.kill('SIGTERM');
    await actions?.kill('SIGTERM');
    await riskDb?.close(true);
    await actionsDb?.close(true);
    proxy?.resume();
    await stack?.stop();
    await proxy?.close();
    if (stack) {
      const redis = createRedis(stack.config.redisUrl);
      await deleteStackKeys(redis);
      await redis.quit();
    }
  });

  async function deleteStackKeys(redis: Redis): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `*${stack.config.queuePrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  }

  /** A child's start transpiles the sources it loads: slow on a loaded 2-core machine. */
  const start = (name: 'risk' | 'actions') => forkSubgraph(name, stack.env, 90_000);

  const queue = <N extends QueueName>(name: N) => stack.subgraphs.signals.deps.queues.get(name);

  /** Posts one `/v1/batch`; a 200 with every event accepted is the acknowledgement. */
  async function sendBatch(tenant: string, events: SentEvent[]): Promise<void> {
    if (!writeKeys.has(tenant)) writeKeys.set(tenant, await stack.key(tenant, ['events:write']));
    const res = await fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKeys.get(tenant)}:`).toString('base64')}` },
      body: JSON.stringify({ batch: events.map((e) => e.body) }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: events.length, duplicates: 0, errors: [] });
  }

  const signalsEvents = (tenantId: string) => forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId });
  const recordedCount = (tenantId: string) => forkAcrossTenants(riskDb).count(ActivityEvent, { tenantId });
  /** Jobs of a queue not finished yet (for one tenant), whatever their state. */
  const unfinished = async (name: QueueName, tenantId: string) =>
    (await queue(name).getJobs(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'])).filter((j) => j?.data.tenantId === tenantId).length;

  /**
   * Waits until the tenant's stream has gone through every stage: every event processed and
   * acknowledged by risk, every score followed up, no alert job left; then checks it happened
   * exactly once in effect and returns the counts.
   */
  async function expectExactlyOnce(tenantId: string, sent: SentEvent[], { timeoutMs = 60_000 } = {}) {
    // what is still missing, for the failure message
    let lag = '';
    const settled = async () => {
      const events = await signalsEvents(tenantId);
      const unprocessed = events.filter((e) => e.processedAt === null).length;
      const pending = events.filter((e) => e.handOffPendingSince !== null).length;
      const recorded = await recordedCount(tenantId);
      const followUps = await forkAcrossTenants(riskDb).count(RiskScore, { tenantId, followUpPendingSince: { $ne: null } });
      const alertJobs = await unfinished(RAISE_ALERTS, tenantId);
      lag = JSON.stringify({ stored: events.length, unprocessed, pending, recorded, followUps, alertJobs, failed: await failedJobs(tenantId) });
      return events.length === sent.length && unprocessed === 0 && pending === 0 && recorded === sent.length && followUps === 0 && alertJobs === 0;
    };
    await waitFor(settled, timeoutMs, 200).catch((err: Error) => {
      throw new Error(`${err.message}: ${tenantId} not through every stage: ${lag}`);
    });

    const events = await signalsEvents(tenantId);
    expect(events.map((e) => e.messageId).sort()).toEqual(sent.map((e) => e.messageId).sort());
    // the profiles stage recorded each once, one profile per user
    const profilesEm = forkAcrossTenants(stack.subgraphs.profiles.deps.orm);
    const onProfiles = await profilesEm.find(ProfileEvent, { tenantId });
    expect(onProfiles.map((r) => r.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    expect(await profilesEm.count(Profile, { tenantId })).toBe(USERS);
    const riskEm = forkAcrossTenants(riskDb);
    // every event carries activity (each has a user, so a profile): each reached risk once
    const recorded = await riskEm.find(ActivityEvent, { tenantId });
    expect(recorded).toHaveLength(sent.length);
    expect(recorded.map((a) => a.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    expect(new Set(recorded.map((a) => a.profileId)).size).toBe(USERS);

    // every profile has its score; each profile's scores form one chain (a replay appends nothing)
    const scores = await riskEm.find(RiskScore, { tenantId }, { orderBy: { scoredAt: 'asc' } });
    const scored = new Set(scores.map((s) => s.profileId));
    expect([...new Set(recorded.map((a) => a.profileId))].filter((p) => !scored.has(p))).toEqual([]);
    const follows = scores.map((s) => s.follows).filter((f) => f !== null);
    expect(new Set(follows).size).toBe(follows.length);

    // every crossing into High has exactly one alert, and there is no other
    const byId = new Map(scores.map((s) => [s.id, s]));
    const crossings = scores.filter((s) => s.bucket === 'high' && (s.follows ? byId.get(s.follows)?.bucket : undefined) !== 'high');
    expect(crossings.length).toBeGreaterThan(0);
    const alerts = await forkAcrossTenants(actionsDb).find(Alert, { tenantId });
    const alerted = new Set(alerts.map((a) => a.sourceKey));
    expect(alerted.size).toBe(alerts.length);
    expect(crossings.filter((s) => !alerted.has(`risk-${s.id}`)).map((s) => s.id)).toEqual([]);
    expect([...alerted].sort()).toEqual(crossings.map((s) => `risk-${s.id}`).sort());
    const highProfiles = new Set(scores.filter((s) => s.bucket === 'high').map((s) => s.profileId)).size;
    return { events: events.length, recorded: recorded.length, scores: scores.length, highProfiles, crossings: crossings.length, alerts: alerts.length };
  }

  /**
   * Holds a stage's jobs back (its queue paused) while `fill(attempt)` queues some, then lets them
   * go and kills `child()` the moment it has taken some: what is still active then is the dead
   * worker's. Should it have been between jobs, it is started again and the next attempt queues
   * more. Returns the orphaned jobs.
   */
  async function killHolding(stage: Queue, child: () => SubgraphProcess, restart: () => Promise<void>, fill: (attempt: number) => Promise<string>): Promise<Job[]> {
    let orphaned: Job[] = [];
    for (let attempt = 1; attempt <= 3 && orphaned.length === 0; attempt++) {
      if (attempt > 1) await restart();
      await stage.pause();
      const tenantId = await fill(attempt);
      await waitFor(async () => (await unfinished(stage.name as QueueName, tenantId)) > 0, 30_000, 20);
      await stage.resume();
      await waitFor(async () => (await stage.getActiveCount()) > 0, 30_000, 2);
      await child().kill('SIGKILL');
      expect(await child().exited).toEqual({ code: null, signal: 'SIGKILL' });
      orphaned = await stage.getActive();
    }
    expect(orphaned.length).toBeGreaterThan(0);
    return orphaned;
  }

  /** The jobs a killed worker held were taken over once (BullMQ's stalled check) and completed. */
  async function expectTakenOver(stage: Queue, orphaned: Job[]) {
    const ids = orphaned.map((j) => j.id!);
    await waitFor(async () => (await Promise.all(ids.map((id) => Job.fromId(stage, id)))).every((j) => j?.finishedOn), 30_000, 100);
    for (const id of ids) {
      const job = await Job.fromId(stage, id);
      expect({ id, stalledCounter: job?.stalledCounter, failedReason: job?.failedReason }).toEqual({ id, stalledCounter: 1, failedReason: undefined });
    }
  }

  it('survives the risk process being killed (SIGKILL) while it holds record-activity jobs, mid-stream, and started again', async () => {
    const tenant = 'riskkill';
    const stream = makeStream(tenant);
    const batches = inBatches(stream, 20);
    // what each try of the kill sends first: most of the first half, then a batch or two more
    const parts = [batches.slice(0, 4), batches.slice(4, 5), batches.slice(5, 6)];
    let sent = 0;
    const activity = queue(RECORD_ACTIVITY);
    const pendingHandOff = async () => (await signalsEvents(tenant)).filter((e) => e.processedAt !== null && e.handOffPendingSince !== null).length;
    const orphaned = await killHolding(
      activity,
      () => risk!,
      async () => void (risk = await start('risk')),
      // each batch detected and its record-activity job queued (and held back)
      async (attempt) => {
        for (const batch of parts[attempt - 1]) await sendBatch(tenant, batch);
        sent += parts[attempt - 1].flat().length;
        await waitFor(async () => (await pendingHandOff()) >= parts[attempt - 1].flat().length, 30_000, 50);
        return tenant;
      },
    );
    // mid-stream: risk has not recorded everything it was sent, and half the stream is still to come
    const recordedAtKill = await recordedCount(tenant);
    expect(recordedAtKill).toBeLessThan(sent);
    for (const batch of batches.slice(sent / 20)) await sendBatch(tenant, batch);

    risk = await start('risk');
    await expectTakenOver(activity, orphaned);
    const counts = await expectExactlyOnce(tenant, stream);
    console.log(
      `risk SIGKILL: ${counts.events} events acknowledged, ${orphaned.length} record-activity jobs held by the killed process (${recordedAtKill} of ${sent} events recorded at the kill), ` +
        `${counts.recorded} events recorded in risk, ${counts.scores} score rows, ${counts.highProfiles} profiles in High, ${counts.crossings} crossings into High, ${counts.alerts} alerts`,
    );
  }, 120_000);

  it('survives the actions process being killed (SIGKILL) while raise-alerts jobs are in flight, and started again', async () => {
    const alerts = queue(RAISE_ALERTS);
    // each try of the kill is a tenant's whole stream, scored, its raise-alerts jobs held back
    const tenants: string[] = [];
    const orphaned = await killHolding(
      alerts,
      () => actions!,
      async () => void (actions = await start('actions')),
      async (attempt) => {
        const tenant = `actkill${attempt}`;
        tenants.push(tenant);
        for (const batch of inBatches(makeStream(tenant), 20)) await sendBatch(tenant, batch);
        await waitFor(async () => (await recordedCount(tenant)) === USERS * PER_USER, 60_000, 50);
        return tenant;
      },
    );
    const alertsAtKill = await forkAcrossTenants(actionsDb).count(Alert, { tenantId: { $in: tenants } });

    actions = await start('actions');
    await expectTakenOver(alerts, orphaned);
    for (const tenant of tenants) {
      const counts = await expectExactlyOnce(tenant, makeStream(tenant));
      console.log(
        `actions SIGKILL (${tenant}): ${counts.events} events acknowledged, ${orphaned.length} raise-alerts jobs held by the killed process (${alertsAtKill} alerts stored at the kill), ` +
          `${counts.scores} score rows, ${counts.crossings} crossings into High, ${counts.alerts} alerts`,
      );
    }
  }, 150_000);

  (usePostgres ? it : it.skip)('recovers every hand-off from SQL after a database outage longer than the retry budget (PostgreSQL only: the outage is a proxy in front of the server)', async () => {
    const tenant = 'outage';
    const stream = makeStream(tenant);
    expect(await failedJobs(tenant)).toEqual({});
    for (const batch of inBatches(stream, 20)) await sendBatch(tenant, batch);
    // mid-pipeline: some events have reached risk, the rest are somewhere between the stages
    await waitFor(async () => (await recordedCount(tenant)) >= stream.length / 4, 60_000, 20);
    const recordedAtCut = await recordedCount(tenant);

    proxy!.cut();
    const cutAt = Date.now();
    // longer than the retry budget, and until every stage job of the tenant has given up
    await waitFor(async () => Date.now() - cutAt >= OUTAGE_MS && (await Promise.all(STAGE_QUEUES.map((q) => unfinished(q, tenant)))).every((n) => n === 0), 60_000, 200);
    const failedForGood = await failedJobs(tenant);
    const outageMs = Date.now() - cutAt;
    proxy!.resume();
    expect(total(failedForGood)).toBeGreaterThan(0);

    // a raise-alerts job that failed for good leaves its scores' follow-up marker set (it clears
    // only on actions' acknowledgement): sweep-scores sends them again, so no alert may be missing
    const counts = await expectExactlyOnce(tenant, stream, { timeoutMs: 90_000 });
    console.log(
      `database outage of ${outageMs} ms (retry budget ${JOB_ATTEMPTS} tries): ${counts.events} events acknowledged before it, ${recordedAtCut} recorded in risk when it began, ` +
        `${total(failedForGood)} jobs failed for good during it (${JSON.stringify(failedForGood)}); after it ${counts.recorded} events recorded in risk, ${counts.scores} score rows, ${counts.crossings} crossings into High, ${counts.alerts} alerts ` +
        '(none missing)',
    );
  }, 150_000);

  /** A tenant's jobs that failed for good, per stage queue (those with any). */
  async function failedJobs(tenantId: string): Promise<Record<string, number>> {
    const counts = await Promise.all(STAGE_QUEUES.map(async (name) => [name, (await queue(name).getFailed()).filter((j) => j?.data.tenantId === tenantId).length] as const));
    return Object.fromEntries(counts.filter(([, n]) => n > 0));
  }
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
});
