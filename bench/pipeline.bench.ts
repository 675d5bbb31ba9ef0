// Pipeline benchmark: from `POST /v1/batch` at the gateway to the first `riskChanged` of each
// customer at a graphql-ws subscriber, through the whole platform as `npm start` runs it (four
// subgraph processes with their workers and the gateway, bench/lib/platform.ts), on SQLite and on
// PostgreSQL in one invocation. `npm run bench:pipeline`; prints tables and writes
// bench/results/pipeline.json.
//
// Workload (bench/lib/customer-mix.ts): per customer ~10 events: identify with traits, 2 screens,
// 3 ID-upload failures (a retry-loop signal), 1–2 purchases with revenue, a support ticket, an NPS
// answer; one fresh user id per customer. Phases, on one stack per database:
// - idle: BENCH_PIPELINE_IDLE_CUSTOMERS (default 10) customers one at a time, each waiting for its
//   riskChanged: the baseline of the latency figures.
// - latency: a steady BENCH_PIPELINE_RATE events/s (default 200; one customer per request) for
//   BENCH_PIPELINE_LATENCY_SECONDS (default 20): POST → that customer's first riskChanged p50/p99.
// - drain: BENCH_PIPELINE_CUSTOMERS customers (default 2000) posted as fast as the API accepts them,
//   BENCH_PIPELINE_CUSTOMERS_PER_POST (default 10) per request, BENCH_PIPELINE_CONCURRENCY (default 8)
//   requests at once. The API's acceptance rate (events ÷ first send → last accepted answer) is the
//   baseline; the pipeline's rate is events ÷ (first send → the last customer's first riskChanged),
//   and ÷ (first send → every queue empty).
// After sending, each phase waits at most BENCH_PIPELINE_WAIT_SECONDS (default 300) for every
// customer's first riskChanged, then as long again at most for every queue to be empty; what did not
// arrive is reported as not answered / not drained. Per phase and process: CPU ms per event
// (process.cpuUsage of each child before and after); on PostgreSQL also transactions, rows and table
// scans per event (pg_stat_database, pg_stat_user_tables; see bench/lib/sql-facts.ts). Queues are
// found in Redis, not listed here, so the benchmark runs whatever hops the stages use.
//
// Other knobs: BENCH_DB (`sqlite`, `postgres` or `both`, the default), BENCH_PG_ADMIN_URL,
// BENCH_PIPELINE_SCORE_DEBOUNCE_MS (sets RISK_SCORE_DEBOUNCE_MS; default: the platform's own),
// BENCH_CPU_PROF (a folder: V8 CPU profiles of every process, summarized) over the phases in
// BENCH_CPU_PROF_PHASES (comma-separated: idle, latency, drain; default drain).
import 'reflect-metadata';

import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { uuidv7 } from 'uuidv7';

import { benchDatabases, createBenchEnv, PG_ADMIN_URL, type BenchDatabase, type BenchEnv } from './lib/bench-env';
import { runBench, type Cleanup } from './lib/bench-main';
import type { CpuSnapshot } from './lib/child';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile';
import { LoadGenerator, type SendOutcome } from './lib/load-generator';
import { startPlatform, type Platform } from './lib/platform';
import { profilesByUserId } from './lib/profile-directory';
import { QueueProbe, type BacklogSample } from './lib/queue-probe';
import { cpuMs, intEnv, machineMeta, packageVersion, round2, say, table, writeResults } from './lib/report';
import { RiskSubscriber, waitConnected, warmUp } from './lib/risk-subscriber';
import { SqlFacts, sqlPerEvent, type SqlSnapshot } from './lib/sql-facts';
import { fmt, round1, stats, type Stats } from './lib/stats';

type Database = BenchDatabase;

const DATABASES = benchDatabases(process.env.BENCH_DB ?? 'both');
const DRAIN_CUSTOMERS = intEnv('BENCH_PIPELINE_CUSTOMERS', 2000);
const PER_POST = intEnv('BENCH_PIPELINE_CUSTOMERS_PER_POST', 10);
const CONCURRENCY = intEnv('BENCH_PIPELINE_CONCURRENCY', 8);
const RATE = intEnv('BENCH_PIPELINE_RATE', 200);
const LATENCY_SECONDS = intEnv('BENCH_PIPELINE_LATENCY_SECONDS', 20);
const IDLE_CUSTOMERS = intEnv('BENCH_PIPELINE_IDLE_CUSTOMERS', 10);
const WAIT_SECONDS = intEnv('BENCH_PIPELINE_WAIT_SECONDS', 300);
const SCORE_DEBOUNCE = process.env.BENCH_PIPELINE_SCORE_DEBOUNCE_MS;
/** When set, a folder: CPU profiles of every process over the drain phase, summarized in the output. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : '';
// which phases are profiled under BENCH_CPU_PROF (comma-separated; default drain)
const CPU_PROF_PHASES = new Set((process.env.BENCH_CPU_PROF_PHASES ?? 'drain').split(',').map((p) => p.trim()));
/** Requests of the latency phase unanswered at once before a tick sends nothing. */
const MAX_IN_FLIGHT = 64;
/** An idle customer not answered in this long is given up (and counted). */
const IDLE_TIMEOUT_MS = 30_000;
const TENANT = 'bench';
const TARGETS = { drainRatio: 0.6, drainEventsPerSecond: 1000, latencyP99Ms: 250 };

type PhaseName = 'idle' | 'latency' | 'drain';

/** What a phase measured, before latencies are matched to profiles. */
interface PhaseRaw {
  name: PhaseName;
  sent: SendOutcome;
  /** performance.now() at the first send. */
  startedAt: number;
  /** Sending → every customer's first riskChanged, s (null: not all arrived in time). */
  answeredSeconds: number | null;
  /** Sending → every queue empty twice in a row, s (null: not drained in time). */
  drainedSeconds: number | null;
  backlogAtSendEnd: BacklogSample;
  backlogAtEnd: BacklogSample;
  /** Largest backlog seen per queue (sampled every second). */
  maxBacklog: Record<string, number>;
  /** CPU ms per process over the phase (sending through drain), this one (`bench`: sender + subscriber) included. */
  cpuMs: Record<string, number>;
  sql: { before: SqlSnapshot; after: SqlSnapshot } | null;
  /** Jobs completed or failed per queue during the phase (a lower bound past BullMQ's retention cap). */
  jobs: Record<string, number>;
  /** Event-loop delay of this process while sending, ms: a busy sender would distort the figures. */
  benchLoopDelayMs: { p99: number; max: number };
  cpuProfiles: Record<string, ProfileSummary>;
}

interface PhaseReport {
  name: PhaseName;
  customers: number;
  customersAccepted: number;
  eventsAccepted: number;
  posts: number;
  failedPosts: number;
  retried429: number;
  skippedTicks: number;
  firstError: string | null;
  /** The API's acceptance rate, events/s (first send → last accepted answer). */
  acceptedPerSecond: number;
  acceptSeconds: number;
  /** Customers whose first riskChanged arrived / did not by the end of the wait. */
  answered: number;
  unanswered: number;
  /** First send → the last customer's first riskChanged, s, and the events/s that makes. */
  lastFirstChangeSeconds: number | null;
  endToEndPerSecond: number | null;
  /** First send → every queue empty, s, and the events/s that makes. */
  drainedSeconds: number | null;
  drainedPerSecond: number | null;
  /** endToEndPerSecond ÷ acceptedPerSecond (drain only). */
  ratio: number | null;
  /** POST handed to fetch → the customer's first riskChanged, ms. */
  latencyMs: Stats;
  backlogAtSendEnd: BacklogSample;
  backlogAtEnd: BacklogSample;
  maxBacklog: Record<string, number>;
  cpuMsPerEvent: Record<string, number>;
  sqlPerEvent: ReturnType<typeof sqlPerEvent> | null;
  /** Jobs per accepted event per queue: what each hop costs in jobs (a lower bound past BullMQ's retention of completed jobs). */
  jobsPerEvent: Record<string, number>;
  benchLoopDelayMs: { p99: number; max: number };
  cpuProfiles: Record<string, ProfileSummary>;
}

interface DatabaseRun {
  database: string;
  stackStartSeconds: number;
  schemaDrift: string[];
  phases: PhaseReport[];
  subscriberErrors: string[];
  queuesSeen: string[];
}

/** Teardown of the stack running now, for Ctrl-C. */
const cleanups: Cleanup[] = [];

async function cpuOf(platform: Platform): Promise<Record<string, CpuSnapshot>> {
  const entries = await Promise.all(Object.entries(platform.processes).map(async ([name, c]) => [name, await c.cpu()] as const));
  return Object.fromEntries(entries);
}

/** Runs one phase: send, then wait (bounded) for every first riskChanged and for every queue to empty. */
async function runPhase(
  name: PhaseName,
  platform: Platform,
  subscriber: RiskSubscriber,
  probe: QueueProbe,
  sql: SqlFacts | null,
  send: () => Promise<SendOutcome>,
  profileDir = '',
): Promise<PhaseRaw> {
  const sqlBefore = sql ? await sql.settledSnapshot() : null;
  const jobsBefore = await probe.finished();
  if (profileDir) await Promise.all(Object.values(platform.processes).map((c) => c.startCpuProfile()));
  const cpuBefore = await cpuOf(platform);
  const benchCpuBefore = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const changedBefore = subscriber.profilesChanged;
  const startedAt = performance.now();
  const maxBacklog: Record<string, number> = {};
  const note = (s: BacklogSample) => {
    for (const [q, b] of Object.entries(s.queues)) maxBacklog[q] = Math.max(maxBacklog[q] ?? 0, b.pending + b.delayed);
    return s;
  };
  let sampling: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    sampling ??= probe
      .sample(startedAt)
      .then(note)
      .catch(() => undefined)
      .finally(() => (sampling = null));
  }, 1000);
  try {
    const sent = await send();
    loop.disable();
    const backlogAtSendEnd = note(await probe.sample(startedAt, true));
    const accepted = sent.customers.filter((c) => c.accepted).length;
    say(`  ${name}: ${sent.eventsAccepted} events of ${accepted} customers accepted in ${sent.acceptSeconds.toFixed(1)}s (${sent.acceptedPerSecond} ev/s); waiting for their riskChanged…`);
    const all = await subscriber.waitForProfiles(changedBefore + accepted, WAIT_SECONDS * 1000);
    const answeredSeconds = all ? (performance.now() - startedAt) / 1000 : null;
    const cpuProfiles: Record<string, ProfileSummary> = {};
    if (profileDir) {
      for (const [label, child] of Object.entries(platform.processes)) {
        const file = join(profileDir, `pipeline-${name}-${label}.cpuprofile`);
        await child.stopCpuProfile(file);
        cpuProfiles[label] = summarizeCpuProfile(file);
      }
    }
    const { last, drainedSeconds } = await probe.waitEmpty(startedAt, WAIT_SECONDS * 1000, note);
    const cpuAfter = await cpuOf(platform);
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const jobsAfter = await probe.finished();
    const sqlAfter = sql ? await sql.settledSnapshot() : null;
    say(
      `  ${name}: ${all ? `every customer's first riskChanged by ${answeredSeconds!.toFixed(1)}s` : `${subscriber.profilesChanged - changedBefore}/${accepted} customers answered after ${WAIT_SECONDS}s`}; ` +
        `${drainedSeconds !== null ? `queues empty by ${drainedSeconds.toFixed(1)}s` : `NOT drained: ${last.total} jobs left`}`,
    );
    return {
      name,
      sent,
      startedAt,
      answeredSeconds,
      drainedSeconds,
      backlogAtSendEnd,
      backlogAtEnd: last,
      maxBacklog,
      cpuMs: { ...Object.fromEntries(Object.keys(cpuAfter).map((p) => [p, cpuMs(cpuBefore[p], cpuAfter[p])])), bench: (benchCpu.user + benchCpu.system) / 1000 },
      sql: sqlBefore && sqlAfter ? { before: sqlBefore, after: sqlAfter } : null,
      jobs: Object.fromEntries(Object.entries(jobsAfter).map(([q, n]) => [q, Math.max(0, n - (jobsBefore[q] ?? 0))])),
      benchLoopDelayMs: { p99: round2(loop.percentile(99) / 1e6), max: round2(loop.max / 1e6) },
      cpuProfiles,
    };
  } finally {
    clearInterval(timer);
    await sampling;
  }
}

/** Matches each customer to its profile's first riskChanged. */
function summarize(raw: PhaseRaw, subscriber: RiskSubscriber, profileOf: Map<string, string>): PhaseReport {
  const accepted = raw.sent.customers.filter((c) => c.accepted);
  const latencies: number[] = [];
  let lastFirst = 0;
  for (const c of accepted) {
    const profileId = profileOf.get(c.userId);
    const first = profileId ? subscriber.firstAt.get(profileId) : undefined;
    if (first === undefined) continue;
    latencies.push(first - c.t);
    lastFirst = Math.max(lastFirst, first);
  }
  const events = raw.sent.eventsAccepted;
  const unanswered = accepted.length - latencies.length;
  const lastFirstChangeSeconds = latencies.length && !unanswered ? round2((lastFirst - raw.startedAt) / 1000) : null;
  const endToEndPerSecond = lastFirstChangeSeconds ? round1(events / lastFirstChangeSeconds) : null;
  const drainedSeconds = raw.drainedSeconds === null ? null : round2(raw.drainedSeconds);
  return {
    name: raw.name,
    customers: raw.sent.customers.length,
    customersAccepted: accepted.length,
    eventsAccepted: events,
    posts: raw.sent.posts,
    failedPosts: raw.sent.failedPosts,
    retried429: raw.sent.retried429,
    skippedTicks: raw.sent.skippedTicks,
    firstError: raw.sent.firstError,
    acceptedPerSecond: raw.sent.acceptedPerSecond,
    acceptSeconds: round2(raw.sent.acceptSeconds),
    answered: latencies.length,
    unanswered,
    lastFirstChangeSeconds,
    endToEndPerSecond,
    drainedSeconds,
    drainedPerSecond: drainedSeconds ? round1(events / drainedSeconds) : null,
    // only the drain sends as fast as the API accepts: elsewhere the sender sets the pace, so there is no ratio
    ratio: raw.name === 'drain' && endToEndPerSecond && raw.sent.acceptedPerSecond ? round2(endToEndPerSecond / raw.sent.acceptedPerSecond) : null,
    latencyMs: stats(latencies),
    backlogAtSendEnd: raw.backlogAtSendEnd,
    backlogAtEnd: raw.backlogAtEnd,
    maxBacklog: raw.maxBacklog,
    cpuMsPerEvent: Object.fromEntries(Object.entries(raw.cpuMs).map(([p, ms]) => [p, round2(ms / Math.max(1, events))])),
    sqlPerEvent: raw.sql ? sqlPerEvent(raw.sql.before, raw.sql.after, events) : null,
    jobsPerEvent: Object.fromEntries(Object.entries(raw.jobs).map(([q, n]) => [q, round2(n / Math.max(1, events))])),
    benchLoopDelayMs: raw.benchLoopDelayMs,
    cpuProfiles: raw.cpuProfiles,
  };
}

async function runDatabase(database: Database): Promise<DatabaseRun> {
  const vars: Record<string, string> = { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' };
  if (SCORE_DEBOUNCE !== undefined && SCORE_DEBOUNCE !== '') vars.RISK_SCORE_DEBOUNCE_MS = SCORE_DEBOUNCE;
  // the bench environment reads no ambient variables: a tenant's ingest concurrency under test is passed on explicitly
  if (process.env.INGEST_TENANT_CONCURRENCY) vars.INGEST_TENANT_CONCURRENCY = process.env.INGEST_TENANT_CONCURRENCY;
  const env: BenchEnv = await createBenchEnv({ postgres: database === 'postgres', vars });
  let platform: Platform | null = null;
  let subscriber: RiskSubscriber | null = null;
  let probe: QueueProbe | null = null;
  let sql: SqlFacts | null = null;
  const cleanup = async () => {
    await subscriber?.close().catch(() => undefined);
    await probe?.close();
    await sql?.close();
    await platform?.stop();
    await env.cleanup();
  };
  cleanups.push(async () => {
    platform?.kill();
    await env.cleanup();
  });
  try {
    say(`${env.database}: starting profiles, signals, risk, actions (with their workers) and the gateway…`);
    platform = await startPlatform(env, TENANT, ['events:write', 'risk:subscribe', 'profiles:read'], 'pipeline benchmark');
    subscriber = new RiskSubscriber(platform.graphqlUrl.replace(/^http/, 'ws'), platform.key);
    await waitConnected([subscriber]);
    probe = new QueueProbe(env.config.redisUrl, env.config.queuePrefix);
    sql = env.config.databaseUrl ? await SqlFacts.open(PG_ADMIN_URL, env.config.databaseUrl) : null;
    const profileDir = CPU_PROF_DIR ? join(CPU_PROF_DIR, database) : '';
    if (profileDir) mkdirSync(profileDir, { recursive: true });
    const load = new LoadGenerator(platform.batchUrl, platform.key, uuidv7().slice(-8));

    // warm-up: the subscription is live end to end once one customer's riskChanged arrives
    say(`${env.database}: warm-up (one customer at a time until a riskChanged arrives, at most 60 s)…`);
    await warmUp(load, subscriber);

    const raws: PhaseRaw[] = [];
    say(`${env.database}: idle baseline, ${IDLE_CUSTOMERS} customers one at a time…`);
    raws.push(
      await runPhase('idle', platform, subscriber, probe, sql, async () => {
        const outcome: SendOutcome = { customers: [], posts: 0, failedPosts: 0, retried429: 0, skippedTicks: 0, firstError: null, eventsAccepted: 0, acceptSeconds: 0, acceptedPerSecond: 0 };
        const started = performance.now();
        for (let i = 0; i < IDLE_CUSTOMERS; i++) {
          const before = subscriber!.profilesChanged;
          const c = await load.single();
          outcome.customers.push(c);
          outcome.posts++;
          if (c.accepted) outcome.eventsAccepted += c.events;
          else outcome.failedPosts++;
          if (c.accepted) await subscriber!.waitForProfiles(before + 1, IDLE_TIMEOUT_MS);
        }
        outcome.acceptSeconds = (performance.now() - started) / 1000;
        outcome.acceptedPerSecond = round1(outcome.eventsAccepted / outcome.acceptSeconds);
        return outcome;
      }),
    );
    say(`${env.database}: latency, ${RATE} events/s for ${LATENCY_SECONDS}s…`);
    raws.push(await runPhase('latency', platform, subscriber, probe, sql, () => load.steady(RATE, LATENCY_SECONDS, MAX_IN_FLIGHT), CPU_PROF_PHASES.has('latency') ? profileDir : ''));
    say(`${env.database}: drain, ${DRAIN_CUSTOMERS} customers, ${PER_POST} a request, ${CONCURRENCY} requests at once…`);
    raws.push(await runPhase('drain', platform, subscriber, probe, sql, () => load.flood(DRAIN_CUSTOMERS, PER_POST, CONCURRENCY), CPU_PROF_PHASES.has('drain') ? profileDir : ''));

    say(`${env.database}: mapping users to profiles through the gateway…`);
    const profileOf = await profilesByUserId(platform.graphqlUrl, platform.key);
    return {
      database: env.database,
      stackStartSeconds: platform.startSeconds,
      schemaDrift: platform.schemaDrift,
      phases: raws.map((r) => summarize(r, subscriber!, profileOf)),
      subscriberErrors: subscriber.errors.slice(0, 10),
      queuesSeen: await probe.discover(),
    };
  } finally {
    say(`${env.database}: stopping the processes and cleaning up (database, Redis keys)…`);
    await cleanup();
    cleanups.pop();
  }
}

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
const opt = (n: number | null, digits = 1) => (n === null ? '–' : n.toFixed(digits));

function print(run: DatabaseRun): void {
  console.log('');
  console.log(`${run.database}: stack up in ${run.stackStartSeconds}s${run.schemaDrift.length ? `; ${run.schemaDrift.length} DDL statements the migrations lacked were applied from the entities` : ''}.`);
  console.log('');
  console.log(
    table([
      ['phase', 'customers', 'events', 'API ev/s', 'answered', 'last first change s', 'e2e ev/s', 'ratio', 'drained s', 'drained ev/s', 'p50 ms', 'p99 ms', 'max ms'],
      ...run.phases.map((p) => [
        p.name,
        `${p.customersAccepted}/${p.customers}`,
        String(p.eventsAccepted),
        p.acceptedPerSecond.toFixed(0),
        `${p.answered}/${p.customersAccepted}`,
        opt(p.lastFirstChangeSeconds),
        opt(p.endToEndPerSecond, 0),
        p.ratio === null ? '–' : `${p.ratio.toFixed(2)}×`,
        p.drainedSeconds === null ? 'not drained' : p.drainedSeconds.toFixed(1),
        opt(p.drainedPerSecond, 0),
        fmt(p.latencyMs.p50),
        fmt(p.latencyMs.p99),
        fmt(p.latencyMs.max),
      ]),
    ]),
  );
  const processes = Object.keys(run.phases[0]?.cpuMsPerEvent ?? {});
  console.log('');
  console.log('CPU ms per accepted event, per process (sending through drain):');
  console.log(table([['phase', ...processes], ...run.phases.map((p) => [p.name, ...processes.map((n) => p.cpuMsPerEvent[n].toFixed(2))])]));
  if (run.phases.some((p) => p.sqlPerEvent)) {
    const services = [...new Set(run.phases.flatMap((p) => Object.keys(p.sqlPerEvent?.services ?? {})))].sort();
    console.log('');
    console.log('SQL per accepted event (PostgreSQL statistics: commits = transactions of the whole database; per service = table scans (index or sequential) / rows written):');
    console.log(
      table([
        ['phase', 'commits', 'rows fetched', 'rows written', ...services],
        ...run.phases.map((p) => {
          const s = p.sqlPerEvent!;
          return [
            p.name,
            s.commits.toFixed(2),
            s.rowsFetched.toFixed(2),
            (s.rowsInserted + s.rowsUpdated + s.rowsDeleted).toFixed(2),
            ...services.map((n) => (s.services[n] ? `${s.services[n].scans.toFixed(1)} / ${s.services[n].rowsWritten.toFixed(1)}` : '–')),
          ];
        }),
      ]),
    );
  } else console.log('(SQLite: no statement counts; CPU only.)');
  // queues that did nothing in any phase (idle schedulers, train-model, …) are left out of the table
  const queues = [...new Set(run.phases.flatMap((p) => Object.entries(p.jobsPerEvent).filter(([, n]) => n > 0).map(([q]) => q)))].sort();
  console.log('');
  console.log('Jobs per accepted event, per queue (completed + failed during the phase; a lower bound once BullMQ has dropped old completed jobs):');
  console.log(table([['phase', ...queues], ...run.phases.map((p) => [p.name, ...queues.map((q) => (p.jobsPerEvent[q] ?? 0).toFixed(2))])]));
  for (const p of run.phases) {
    for (const [name, prof] of Object.entries(p.cpuProfiles)) {
      console.log(`CPU profile ${p.name}/${name} (${prof.totalMs} ms sampled, ${prof.idlePercent}% idle): ${prof.byPackage.slice(0, 8).map((x) => `${x.name} ${x.percent}%`).join(', ')}; ${prof.file}`);
    }
  }
  const q = (s: BacklogSample) => Object.entries(s.queues).filter(([, b]) => b.pending + b.delayed > 0).map(([n, b]) => `${n} ${b.pending}${b.delayed ? `+${b.delayed} delayed` : ''}`).join(', ') || 'none';
  for (const p of run.phases) {
    console.log(
      `${p.name}: jobs left when sending ended: ${q(p.backlogAtSendEnd)}; at the end: ${q(p.backlogAtEnd)}; largest backlog per queue: ` +
        `${Object.entries(p.maxBacklog).filter(([, n]) => n > 0).map(([n, v]) => `${n} ${v}`).join(', ') || 'none'}` +
        `${p.failedPosts ? `; ${p.failedPosts} requests refused (${(p.firstError ?? '').slice(0, 160)})` : ''}${p.retried429 ? `; ${p.retried429} 429s waited out` : ''}${p.skippedTicks ? `; ${p.skippedTicks} ticks not sent (${MAX_IN_FLIGHT} in flight)` : ''}; ` +
        `this process's event-loop delay while sending p99 ${p.benchLoopDelayMs.p99} ms, max ${p.benchLoopDelayMs.max} ms.`,
    );
  }
  const drain = run.phases.find((p) => p.name === 'drain');
  const latency = run.phases.find((p) => p.name === 'latency');
  const idle = run.phases.find((p) => p.name === 'idle');
  if (drain) {
    console.log(
      `target drain: ≥ ${TARGETS.drainRatio}× the API's rate and ≥ ${TARGETS.drainEventsPerSecond} events/s end to end: ${opt(drain.ratio, 2)}× of ${drain.acceptedPerSecond} ev/s, ${opt(drain.endToEndPerSecond, 0)} ev/s ` +
        `(${verdict((drain.ratio ?? 0) >= TARGETS.drainRatio && (drain.endToEndPerSecond ?? 0) >= TARGETS.drainEventsPerSecond)}).`,
    );
  }
  if (latency) {
    console.log(
      `target latency: p99 < ${TARGETS.latencyP99Ms} ms at ${RATE} events/s: p50 ${fmt(latency.latencyMs.p50)} ms, p99 ${fmt(latency.latencyMs.p99)} ms ` +
        `(idle baseline p50 ${fmt(idle?.latencyMs.p50 ?? NaN)} ms, p99 ${fmt(idle?.latencyMs.p99 ?? NaN)} ms) (${verdict(latency.latencyMs.p99 < TARGETS.latencyP99Ms && latency.unanswered === 0)}).`,
    );
  }
  if (run.subscriberErrors.length) console.log(`subscriber errors: ${run.subscriberErrors.join('; ')}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  say(
    `pipeline benchmark: ${DATABASES.join(' then ')}; idle ${IDLE_CUSTOMERS} customers, latency ${RATE} ev/s × ${LATENCY_SECONDS}s, drain ${DRAIN_CUSTOMERS} customers ` +
      `(${PER_POST} a request, ${CONCURRENCY} at once); waits at most ${WAIT_SECONDS}s per phase for answers and as long for the queues`,
  );
  const runs: DatabaseRun[] = [];
  for (const database of DATABASES) runs.push(await runDatabase(database));
  const loadAtEnd = loadavg()[0];

  console.log('');
  console.log(`Pipeline benchmark: POST /v1/batch at the gateway → first riskChanged per customer at a graphql-ws subscriber; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  for (const run of runs) print(run);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      databases: DATABASES,
      idleCustomers: IDLE_CUSTOMERS,
      rate: RATE,
      latencySeconds: LATENCY_SECONDS,
      drainCustomers: DRAIN_CUSTOMERS,
      customersPerPost: PER_POST,
      concurrency: CONCURRENCY,
      waitSeconds: WAIT_SECONDS,
      riskScoreDebounceMs: SCORE_DEBOUNCE ?? 'platform default',
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3', 'pg', 'graphql-ws'].map((p) => [p, packageVersion(p)])),
      targets: TARGETS,
      workload:
        'per customer (fresh user id): identify with traits (plan, seats, country, signedUpAt), Screen Viewed × 2, ID Upload Failed × 3 within a minute (retry loop), ' +
        'Order Completed × 1–2 with revenue, Ticket Created, NPS Submitted (score 0–10); timestamps over the last 9 minutes, all in one request',
      notes: [
        'latency = receipt of the first riskChanged of the customer’s profile at the subscriber (this process) − the moment its request was handed to fetch; profiles are mapped to users afterwards through the gateway (profiles query).',
        'API ev/s = accepted events ÷ (first send → last accepted answer); e2e ev/s = accepted events ÷ (first send → last customer’s first riskChanged); ratio = e2e ÷ API, both from the same run.',
        'drained = every BullMQ queue under the run’s prefix (found in Redis) has no waiting, prioritized, active or delayed job (job schedulers’ next runs apart), twice 0.5 s apart.',
        'CPU ms per event = process.cpuUsage (user + system) of each child from the start of sending to the end of the drain wait, ÷ accepted events; it includes background schedulers.',
        'SQL (PostgreSQL only) = pg_stat_database deltas of the throwaway database (commits, rows) and pg_stat_user_tables per schema (seq + idx scans ≈ statements reading a table, rows inserted + updated + deleted), ' +
          'read once the counters have settled (a backend may hold them up to 10 s); the probe’s own reads add one commit per read. SQLite: CPU only.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    runs,
  };
  const file = writeResults('pipeline', report);
  console.log(`\nwritten: ${file} (${report.meta.wallSeconds}s in all)`);
}

runBench('pipeline benchmark', cleanups, main);
