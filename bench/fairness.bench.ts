// Fairness benchmark (issue 15): does one tenant's flood hold another tenant's customers back?
// The whole platform as `npm start` runs it (bench/lib/platform.ts), on SQLite and PostgreSQL in one
// invocation; `npm run bench:fairness`; prints a table and writes bench/results/fairness.json.
//
// Two tenants on one stack: A (the flood) and B (a steady trickle, subscribed to its own
// riskChanged; A has its own subscriber, used only to tell when A's customers are all scored).
// Workload per customer: bench/lib/customer-mix.ts (~10 events, one request per B customer).
// - idle: B alone, BENCH_FAIRNESS_TRICKLE_RATE customers/s (default 3) for
//   BENCH_FAIRNESS_PHASE_SECONDS (default 15): POST → each customer's first riskChanged p50/p99.
// - flood: A posts BENCH_FAIRNESS_FLOOD_EVENTS events (default 20,000) as fast as the API accepts
//   them (BENCH_FAIRNESS_CUSTOMERS_PER_POST customers a request, default 10;
//   BENCH_FAIRNESS_CONCURRENCY requests at once, default 8; 429s are waited out per Retry-After and
//   counted); BENCH_FAIRNESS_LEAD_SECONDS (default 1) after A's first request, B sends the same
//   trickle as in the idle phase: B's p50/p99 during the flood, A's acceptance rate and 429s, and
//   when A drained (its last customer's first riskChanged, then every queue empty).
// Target: B's p99 during the flood ≤ 2× its idle p99, both from the same run. Every wait is bounded
// by BENCH_FAIRNESS_WAIT_SECONDS (default 300); what did not arrive is reported, not waited for.
// Other knobs: BENCH_DB (`sqlite`, `postgres` or `both`, the default), BENCH_PG_ADMIN_URL; the
// platform's default INGEST_TENANT_* limits apply unless set in the environment of this command
// (passed on to every process).
import 'reflect-metadata';

import { cpus, loadavg } from 'node:os';

import { Redis } from 'ioredis';
import { uuidv7 } from 'uuidv7';

import { PIPELINE_STAGES, type PipelineStage } from '../subgraphs/common/pipeline-stages';
import { readStageTimings, type StageTimings } from '../subgraphs/common/stage-meter';

import { benchDatabases, createBenchEnv, type BenchDatabase, type BenchEnv } from './lib/bench-env';
import { runBench, type Cleanup } from './lib/bench-main';
import type { LoopDelay } from './lib/child';
import { createApiKey } from './lib/keys';
import { LoadGenerator, type SendOutcome } from './lib/load-generator';
import { startPlatform, type Platform } from './lib/platform';
import { profilesByUserId } from './lib/profile-directory';
import { QueueProbe, type BacklogSample } from './lib/queue-probe';
import { intEnv, machineMeta, packageVersion, round2, say, table, wholeEnv, writeResults } from './lib/report';
import { RiskSubscriber, waitConnected, warmUp } from './lib/risk-subscriber';
import { fmt, sleep, stats, type Stats } from './lib/stats';

const DATABASES = benchDatabases(process.env.BENCH_DB ?? 'both');
const FLOOD_EVENTS = intEnv('BENCH_FAIRNESS_FLOOD_EVENTS', 20_000);
const TRICKLE_RATE = intEnv('BENCH_FAIRNESS_TRICKLE_RATE', 3);
const PHASE_SECONDS = intEnv('BENCH_FAIRNESS_PHASE_SECONDS', 15);
const PER_POST = intEnv('BENCH_FAIRNESS_CUSTOMERS_PER_POST', 10);
const CONCURRENCY = intEnv('BENCH_FAIRNESS_CONCURRENCY', 8);
const LEAD_SECONDS = wholeEnv('BENCH_FAIRNESS_LEAD_SECONDS', 1);
const WAIT_SECONDS = intEnv('BENCH_FAIRNESS_WAIT_SECONDS', 300);
/** B's requests unanswered at once before a tick of the trickle sends nothing. */
const MAX_IN_FLIGHT = 64;
const TENANT_A = 'bench-flood';
const TENANT_B = 'bench-trickle';
/** Ingestion limits passed on to the platform when set in this command's environment. */
const INGEST_LIMIT_VARS = ['INGEST_TENANT_RATE_LIMIT_PER_SECOND', 'INGEST_TENANT_MAX_BACKLOG', 'INGEST_TENANT_MAX_IN_FLIGHT', 'INGEST_TENANT_LIMITS', 'INGEST_TENANT_CONCURRENCY'];
/** B's p99 during A's flood ÷ B's idle p99 at most. */
const TARGET_RATIO = 2;

/** B's trickle in one phase: what was sent and POST → first riskChanged per customer. */
interface TrickleReport {
  customers: number;
  customersAccepted: number;
  answered: number;
  failedPosts: number;
  retried429: number;
  skippedTicks: number;
  firstError: string | null;
  /** POST handed to fetch → the customer's first riskChanged, ms. */
  latencyMs: Stats;
  /** POST handed to fetch → its accepting answer (429 waits included), ms: the API's share of latencyMs. */
  acceptMs: Stats;
}

/** A's flood: acceptance and drain. */
interface FloodReport {
  customers: number;
  customersAccepted: number;
  eventsAccepted: number;
  acceptedPerSecond: number;
  acceptSeconds: number;
  posts: number;
  retried429: number;
  failedPosts: number;
  firstError: string | null;
  /** First send → A's last customer's first riskChanged, s (null: not all within the wait). */
  answeredSeconds: number | null;
  answered: number;
  /** First send → every queue empty, s (null: not drained within the wait). */
  drainedSeconds: number | null;
  /** Jobs waiting in every queue when B's trickle ended: the backlog B's customers went through. */
  backlogAtTrickleEnd: number;
  /** Largest backlog (every queue) seen while B's trickle ran, sampled every second. */
  maxBacklogDuringTrickle: number;
  /** Largest backlog per queue while B's trickle ran: where B's customers had to wait. */
  maxBacklogPerQueue: Record<string, number>;
}

interface DatabaseRun {
  database: string;
  stackStartSeconds: number;
  idle: TrickleReport;
  flood: TrickleReport;
  a: FloodReport;
  /**
   * Per stage, how long B's jobs waited in the stage's queue before a worker took them (and ran),
   * from the stage meter's histograms over each phase: where B waits during A's flood.
   */
  waitsB: { stage: PipelineStage; idle: StageTimings; flood: StageTimings }[];
  /**
   * Per process, its event-loop delay (p99 and max, ms) over B's idle trickle and over B's trickle
   * during the flood: every await of B's work in a process waits for a turn of that loop, so a
   * loop held by another tenant's work is B's wait however the queues order the jobs.
   */
  loopDelayMs: { process: string; idle: LoopDelay; flood: LoopDelay }[];
  /** B's flood p99 ÷ idle p99 (null: a phase had no answer). */
  ratio: number | null;
  met: boolean;
  subscriberErrors: string[];
}

/** Teardown of the stack running now, for Ctrl-C. */
const cleanups: Cleanup[] = [];

/** B's customers of one phase matched to their profile's first riskChanged. */
function trickleReport(sent: SendOutcome, subscriber: RiskSubscriber, profileOf: Map<string, string>): TrickleReport {
  const accepted = sent.customers.filter((c) => c.accepted);
  const latencies: number[] = [];
  const acceptances = accepted.map((c) => (c.acceptedAt ?? c.t) - c.t);
  for (const c of accepted) {
    const profileId = profileOf.get(c.userId);
    const first = profileId ? subscriber.firstAt.get(profileId) : undefined;
    if (first !== undefined) latencies.push(first - c.t);
  }
  return {
    customers: sent.customers.length,
    customersAccepted: accepted.length,
    answered: latencies.length,
    failedPosts: sent.failedPosts,
    retried429: sent.retried429,
    skippedTicks: sent.skippedTicks,
    firstError: sent.firstError,
    latencyMs: stats(latencies),
    acceptMs: stats(acceptances),
  };
}

/** Sends B's trickle and waits (bounded) for every accepted customer's first riskChanged. */
async function trickle(load: LoadGenerator, subscriber: RiskSubscriber, label: string, atSendEnd: () => Promise<void> = async () => undefined): Promise<SendOutcome> {
  const before = subscriber.profilesChanged;
  const sent = await load.trickle(TRICKLE_RATE, PHASE_SECONDS, MAX_IN_FLIGHT);
  await atSendEnd();
  const accepted = sent.customers.filter((c) => c.accepted).length;
  const all = await subscriber.waitForProfiles(before + accepted, WAIT_SECONDS * 1000);
  say(`  ${label}: B ${accepted}/${sent.customers.length} customers accepted, ${all ? 'every one answered' : `${subscriber.profilesChanged - before} answered after ${WAIT_SECONDS}s`}`);
  return sent;
}

async function runDatabase(database: BenchDatabase): Promise<DatabaseRun> {
  const vars: Record<string, string> = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
  // the bench environment reads no ambient variables: the tenant limits under test are passed on explicitly
  for (const name of INGEST_LIMIT_VARS) if (process.env[name]) vars[name] = process.env[name];
  const env: BenchEnv = await createBenchEnv({ postgres: database === 'postgres', vars });
  let platform: Platform | null = null;
  const subscribers: RiskSubscriber[] = [];
  let probe: QueueProbe | null = null;
  const cleanup = async () => {
    await Promise.all(subscribers.map((s) => s.close().catch(() => undefined)));
    await probe?.close();
    await platform?.stop();
    await env.cleanup();
  };
  cleanups.push(async () => {
    platform?.kill();
    await env.cleanup();
  });
  try {
    say(`${env.database}: starting profiles, signals, risk, actions (with their workers) and the gateway…`);
    platform = await startPlatform(env, TENANT_B, ['events:write', 'risk:subscribe', 'profiles:read'], 'fairness benchmark, trickle');
    const keyA = await createApiKey(env.config, TENANT_A, ['events:write', 'risk:subscribe'], 'fairness benchmark, flood');
    const wsUrl = platform.graphqlUrl.replace(/^http/, 'ws');
    const subB = new RiskSubscriber(wsUrl, platform.key);
    const subA = new RiskSubscriber(wsUrl, keyA);
    subscribers.push(subB, subA);
    await waitConnected([subB, subA]);
    probe = new QueueProbe(env.config.redisUrl, env.config.queuePrefix);
    const runId = uuidv7().slice(-8);
    const loadB = new LoadGenerator(platform.batchUrl, platform.key, `${runId}b`);
    const loadA = new LoadGenerator(platform.batchUrl, keyA, `${runId}a`);

    say(`${env.database}: warm-up of both tenants (one customer at a time until a riskChanged arrives, at most 60 s each)…`);
    await warmUp(loadB, subB);
    await warmUp(loadA, subA);

    say(`${env.database}: idle, B alone: ${TRICKLE_RATE} customers/s for ${PHASE_SECONDS}s…`);
    const children = Object.values(platform.processes);
    const loopDelays = () => Promise.all(children.map((c) => c.loopDelay()));
    await Promise.all(children.map((c) => c.resetLoopDelay()));
    const idleStartedAt = Date.now();
    const idleSent = await trickle(loadB, subB, 'idle');
    const idleLoops = await loopDelays();
    const idleWaits = await tenantWaits(env, TENANT_B, idleStartedAt);
    await probe.waitEmpty(performance.now(), WAIT_SECONDS * 1000);

    const floodCustomers = Math.ceil(FLOOD_EVENTS / loadA.meanEventsPerCustomer());
    say(`${env.database}: flood, A ${floodCustomers} customers (~${FLOOD_EVENTS} events, ${PER_POST} a request, ${CONCURRENCY} at once) while B trickles ${TRICKLE_RATE} customers/s for ${PHASE_SECONDS}s…`);
    const aBefore = subA.profilesChanged;
    const startedAt = performance.now();
    const floodDone = loadA.flood(floodCustomers, PER_POST, CONCURRENCY);
    await sleep(LEAD_SECONDS * 1000);
    await Promise.all(children.map((c) => c.resetLoopDelay()));
    const trickleStartedAt = Date.now();
    let maxBacklog = 0;
    const maxPerQueue: Record<string, number> = {};
    const note = (sample: BacklogSample) => {
      maxBacklog = Math.max(maxBacklog, sample.total);
      for (const [q, b] of Object.entries(sample.queues)) maxPerQueue[q] = Math.max(maxPerQueue[q] ?? 0, b.pending + b.delayed);
      return sample;
    };
    let sampling: Promise<unknown> | null = null;
    const timer = setInterval(() => {
      sampling ??= probe!
        .sample(startedAt)
        .then(note)
        .catch(() => undefined)
        .finally(() => (sampling = null));
    }, 1000);
    let backlogAtTrickleEnd: BacklogSample | null = null;
    let floodLoops: LoopDelay[] | null = null;
    let floodSent: SendOutcome;
    let floodTrickleSent: SendOutcome;
    try {
      const trickleDone = trickle(loadB, subB, 'flood', async () => {
        clearInterval(timer);
        backlogAtTrickleEnd = note(await probe!.sample(startedAt, true));
      });
      floodSent = await floodDone;
      say(`  flood: A ${floodSent.eventsAccepted} events accepted in ${floodSent.acceptSeconds.toFixed(1)}s (${floodSent.acceptedPerSecond} ev/s), ${floodSent.retried429} 429s waited out`);
      floodTrickleSent = await trickleDone;
    } finally {
      floodLoops = await loopDelays().catch(() => null);
      clearInterval(timer);
      await sampling;
    }
    // B's jobs of the flood phase have all run once its customers are answered (or given up on)
    const floodWaits = await tenantWaits(env, TENANT_B, trickleStartedAt);
    const accepted = floodSent.customers.filter((c) => c.accepted).length;
    const allA = await subA.waitForProfiles(aBefore + accepted, WAIT_SECONDS * 1000);
    const answeredSeconds = allA ? (performance.now() - startedAt) / 1000 : null;
    const { drainedSeconds } = await probe.waitEmpty(startedAt, WAIT_SECONDS * 1000);
    say(
      `  flood: A ${allA ? `answered by ${answeredSeconds!.toFixed(1)}s` : `${subA.profilesChanged - aBefore}/${accepted} answered after ${WAIT_SECONDS}s`}; ` +
        `${drainedSeconds !== null ? `queues empty by ${drainedSeconds.toFixed(1)}s` : 'queues NOT drained'}`,
    );

    say(`${env.database}: mapping B's users to profiles through the gateway…`);
    const profileOf = await profilesByUserId(platform.graphqlUrl, platform.key);
    const idle = trickleReport(idleSent, subB, profileOf);
    const flood = trickleReport(floodTrickleSent, subB, profileOf);
    const ratio = idle.latencyMs.n && flood.latencyMs.n ? round2(flood.latencyMs.p99 / idle.latencyMs.p99) : null;
    return {
      database: env.database,
      stackStartSeconds: platform.startSeconds,
      idle,
      flood,
      a: {
        customers: floodSent.customers.length,
        customersAccepted: accepted,
        eventsAccepted: floodSent.eventsAccepted,
        acceptedPerSecond: floodSent.acceptedPerSecond,
        acceptSeconds: round2(floodSent.acceptSeconds),
        posts: floodSent.posts,
        retried429: floodSent.retried429,
        failedPosts: floodSent.failedPosts,
        firstError: floodSent.firstError,
        answeredSeconds: answeredSeconds === null ? null : round2(answeredSeconds),
        answered: subA.profilesChanged - aBefore,
        drainedSeconds: drainedSeconds === null ? null : round2(drainedSeconds),
        backlogAtTrickleEnd: (backlogAtTrickleEnd as BacklogSample | null)?.total ?? 0,
        maxBacklogDuringTrickle: maxBacklog,
        maxBacklogPerQueue: Object.fromEntries(Object.entries(maxPerQueue).filter(([, n]) => n > 0)),
      },
      waitsB: PIPELINE_STAGES.map((stage, i) => ({ stage, idle: idleWaits[i], flood: floodWaits[i] })),
      loopDelayMs: children.map((c, i) => ({
        process: c.label,
        idle: { p99: round2(idleLoops[i].p99), max: round2(idleLoops[i].max) },
        flood: floodLoops ? { p99: round2(floodLoops[i].p99), max: round2(floodLoops[i].max) } : { p99: NaN, max: NaN },
      })),
      ratio,
      met: ratio !== null && ratio <= TARGET_RATIO && flood.answered === flood.customersAccepted && idle.answered === idle.customersAccepted,
      subscriberErrors: [...subB.errors, ...subA.errors].slice(0, 10),
    };
  } finally {
    say(`${env.database}: stopping the processes and cleaning up (database, Redis keys)…`);
    await cleanup();
    cleanups.pop();
  }
}

const opt = (n: number | null, digits = 1) => (n === null ? '–' : n.toFixed(digits));

/**
 * A tenant's wait and run percentiles per stage since `since` (epoch ms), from the stage meter's
 * per-second histograms (the figures `pipelineStatus` shows; at most the last 120 s, their TTL).
 */
async function tenantWaits(env: BenchEnv, tenantId: string, since: number): Promise<StageTimings[]> {
  const redis = new Redis(env.config.redisUrl);
  try {
    const now = Date.now();
    return await readStageTimings(redis, env.config.queuePrefix, PIPELINE_STAGES.map((stage) => ({ stage, tenantId })), now, (now - since) / 1000 + 1);
  } finally {
    redis.disconnect();
  }
}

function print(run: DatabaseRun): void {
  const row = (phase: string, t: TrickleReport) => [
    phase,
    `${t.customersAccepted}/${t.customers}`,
    `${t.answered}/${t.customersAccepted}`,
    String(t.retried429),
    fmt(t.latencyMs.p50),
    fmt(t.latencyMs.p99),
    fmt(t.latencyMs.max),
    fmt(t.acceptMs.p50),
    fmt(t.acceptMs.p99),
  ];
  console.log('');
  console.log(`${run.database}: stack up in ${run.stackStartSeconds}s.`);
  console.log('');
  console.log(`Tenant B, ${TRICKLE_RATE} customers/s for ${PHASE_SECONDS}s, POST → first riskChanged:`);
  console.log(table([['phase', 'accepted', 'answered', '429s', 'p50 ms', 'p99 ms', 'max ms', 'POST p50 ms', 'POST p99 ms'], row('idle', run.idle), row('A flooding', run.flood)]));
  const a = run.a;
  console.log('');
  console.log(
    table([
      ['tenant A flood', 'customers', 'events', 'API ev/s', 'accept s', '429s', 'failed', 'answered', 'answered s', 'drained s', 'backlog at B end', 'max backlog'],
      [
        'A',
        `${a.customersAccepted}/${a.customers}`,
        String(a.eventsAccepted),
        a.acceptedPerSecond.toFixed(0),
        a.acceptSeconds.toFixed(1),
        String(a.retried429),
        String(a.failedPosts),
        `${a.answered}/${a.customersAccepted}`,
        opt(a.answeredSeconds),
        a.drainedSeconds === null ? 'not drained' : a.drainedSeconds.toFixed(1),
        String(a.backlogAtTrickleEnd),
        String(a.maxBacklogDuringTrickle),
      ],
    ]),
  );
  console.log('');
  console.log(`Tenant B's jobs per stage: wait in the stage's queue before a worker took them (and run time), ms, from the stage meter (last 120 s of a phase at most):`);
  console.log(
    table([
      ['stage', 'idle jobs', 'idle wait p50', 'idle wait p99', 'flood jobs', 'flood wait p50', 'flood wait p99', 'flood run p50', 'flood run p99'],
      ...run.waitsB.map(({ stage, idle, flood }) => [
        stage,
        String(idle.jobs),
        opt(idle.waitP50Ms, 0),
        opt(idle.waitP99Ms, 0),
        String(flood.jobs),
        opt(flood.waitP50Ms, 0),
        opt(flood.waitP99Ms, 0),
        opt(flood.runP50Ms, 0),
        opt(flood.runP99Ms, 0),
      ]),
    ]),
  );
  console.log(`Event-loop delay per process while B trickled, ms (every await of B's work waits for a turn of its process's loop):`);
  console.log(
    table([
      ['process', 'idle p99', 'idle max', 'flood p99', 'flood max'],
      ...run.loopDelayMs.map((l) => [l.process, opt(l.idle.p99), opt(l.idle.max), opt(l.flood.p99), opt(l.flood.max)]),
    ]),
  );
  const perQueue = Object.entries(a.maxBacklogPerQueue).map(([q, n]) => `${q} ${n}`).join(', ');
  console.log(`largest backlog per queue while B trickled during the flood: ${perQueue || 'none'}`);
  if (a.firstError) console.log(`A's first refused request: ${a.firstError.slice(0, 200)}`);
  if (run.flood.firstError ?? run.idle.firstError) console.log(`B's first refused request: ${(run.idle.firstError ?? run.flood.firstError ?? '').slice(0, 200)}`);
  if (!a.backlogAtTrickleEnd) console.log('note: no backlog was left when B stopped sending, so part of B’s trickle may have run after A’s flood: raise BENCH_FAIRNESS_FLOOD_EVENTS or shorten the phase.');
  console.log(
    `target: B's p99 during A's flood ≤ ${TARGET_RATIO}× its idle p99: ${fmt(run.flood.latencyMs.p99)} ms vs ${fmt(run.idle.latencyMs.p99)} ms = ${opt(run.ratio, 2)}× (${run.met ? 'met' : 'NOT met'}).`,
  );
  if (run.subscriberErrors.length) console.log(`subscriber errors: ${run.subscriberErrors.join('; ')}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  say(
    `fairness benchmark: ${DATABASES.join(' then ')}; B trickles ${TRICKLE_RATE} customers/s for ${PHASE_SECONDS}s idle, then again while A floods ~${FLOOD_EVENTS} events ` +
      `(${PER_POST} customers a request, ${CONCURRENCY} at once); waits at most ${WAIT_SECONDS}s for answers and as long for the queues`,
  );
  const runs: DatabaseRun[] = [];
  for (const database of DATABASES) runs.push(await runDatabase(database));
  const loadAtEnd = loadavg()[0];

  console.log('');
  console.log(`Fairness benchmark: tenant B's POST /v1/batch → first riskChanged, idle and while tenant A floods; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  for (const run of runs) print(run);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      databases: DATABASES,
      floodEvents: FLOOD_EVENTS,
      trickleCustomersPerSecond: TRICKLE_RATE,
      phaseSeconds: PHASE_SECONDS,
      customersPerPost: PER_POST,
      concurrency: CONCURRENCY,
      leadSeconds: LEAD_SECONDS,
      waitSeconds: WAIT_SECONDS,
      targetRatio: TARGET_RATIO,
      ingestLimits: Object.fromEntries(INGEST_LIMIT_VARS.map((k) => [k, process.env[k] ?? 'platform default'])),
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3', 'pg', 'graphql-ws'].map((p) => [p, packageVersion(p)])),
      notes: [
        'latency = arrival of the first riskChanged of a B customer’s profile at B’s subscriber (this process) − the moment its request was handed to fetch; profiles are mapped to users afterwards through the gateway.',
        'B sends one customer (~10 events, bench/lib/customer-mix.ts) per request; A sends customersPerPost customers per request; 429s are waited out per Retry-After (at most 5 s) and sent again, at most 30 times.',
        'A answered = A’s last customer’s first riskChanged (A’s own subscriber); drained = every BullMQ queue of the run empty, twice 0.5 s apart; both from A’s first request.',
        'backlog = waiting, prioritized, active and delayed jobs over every queue of the run (both tenants).',
        'POST ms = request handed to fetch → its accepting answer (429 waits included): the part of B’s latency spent at the API rather than in the pipeline.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    runs,
  };
  const file = writeResults('fairness', report);
  console.log(`\nwritten: ${file} (${report.meta.wallSeconds}s in all)`);
}

runBench('fairness benchmark', cleanups, main);
