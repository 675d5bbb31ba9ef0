// Risk scoring benchmark, two parts, SQLite. `npm run bench:score`. Prints tables and writes
// bench/results/score.json.
//
// 1. Scoring throughput: N profiles (BENCH_SCORE_PROFILES, default 1000: a real pass costs ~10 ms
//    of CPU a profile on a 2-core box, and there are eight passes) with 120–160 days of history
//    (~55 events: identify, `Feature Used`, `Order Completed` with revenue, `Subscription
//    Cancelled` for the churners; friction signals) inserted straight into risk's own tables
//    (`ActivityEvent`, `ActivitySignal`, em.insertMany). For each concurrency
//    (BENCH_SCORE_CONCURRENCY, default `1,10,100`) the `score-profile` queue is filled with one job
//    per profile, then a BullMQ Worker is started on it and timed until the last job completes:
//    the real processor (`scoreProfile`, as the risk subgraph's worker calls it) and a no-op
//    processor (the baseline: BullMQ's own cost per job), same queue, same jobs, same concurrency,
//    same worker options, same process (a child running the risk subgraph with `workers: false`).
//    Done with the cold-start prior, then with an activated churn model trained on the same tenant
//    (ModelService.requestTraining + trainModel + activate). Before each model's measured runs, a
//    pass scores every profile once (the first score of a profile, or the first with a new model,
//    inserts a row and publishes `riskChanged`; re-scores mostly do not), so the measured runs are
//    steady-state re-scores; those passes are shown but not in the ratios.
// 2. Event → riskChanged at a subscriber: the whole platform (four subgraphs with their workers, one
//    process each, and the gateway in a fifth) on a fresh environment with RISK_SCORE_DEBOUNCE_MS =
//    BENCH_SCORE_DEBOUNCE_MS (default 0: one score job per activity) and RISK_CHANGE_DELTA=0 (any
//    moved score publishes). This process subscribes to `riskChanged { profile { id } score
//    scoredAt }` through the gateway over graphql-ws (one key: events:write, risk:subscribe,
//    profiles:read) and POSTs batches of 20 events to the gateway's `/v1/batch` in even ticks.
//    Workload per profile (user): episode A = `Screen Viewed` + 2 × `ID Upload Failed` in one batch
//    (the profile's first score → riskChanged), then 2 s later episode B = a third `ID Upload
//    Failed` (a retry loop → signal → re-score → riskChanged). Every event has a unique messageId
//    and its send time in `properties`. Latency = receipt at the subscriber − send time of the
//    earliest event of that profile not yet matched to an earlier riskChanged (profile ids mapped to
//    users from the profiles database afterwards); each answered A episode is also broken down by
//    stage from the subgraphs' own rows. Three phases on one stack: a warm-up, a rate the pipeline
//    keeps up with on this box (BENCH_SCORE_LOW_RATE events/s, default 20, for
//    BENCH_SCORE_LOW_SECONDS, default 15), then the target rate (BENCH_SCORE_RATE, default 1000 = 50
//    batches/s × 20, for BENCH_SCORE_SECONDS, default 20); after each, up to
//    BENCH_SCORE_DRAIN_SECONDS (default 20) for the backlog to clear, then the stack is stopped
//    whatever is left. Queue depths and the events risk has recorded are sampled every second.
//
// Other knobs: BENCH_SCORE_MAX_IN_FLIGHT (requests to the gateway at once, default 64: a tick that
// finds that many unanswered sends nothing, and is counted), BENCH_SCORE_PARTS (`scoring`,
// `pipeline` or both, the default), BENCH_CPU_PROF (a folder: CPU profiles of the worker process
// over the real, prior, concurrency-10 run and of every platform process while the sustainable
// phase sends, summarized in the output).
import { createSeededRandom } from '../subgraphs/common/math/random';
import 'reflect-metadata';

import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { MikroORM } from '@mikro-orm/core';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import { createClient, type Client } from 'graphql-ws';
import { uuidv7 } from 'uuidv7';
import WebSocket from 'ws';

import type { Config } from '../subgraphs/common/config';
import { ormOptions, initOrm, type Orm, type OrmSpec } from '../subgraphs/common/orm';
import {
  createQueue,
  DETECT_FRICTION,
  EVENT_RESOLVED,
  Queues,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  SCORE_PROFILE,
  workerOptions,
  type QueueName,
} from '../subgraphs/common/queues';
import { createLogger } from '../subgraphs/common/logger';
import { createRedis } from '../subgraphs/common/redis';
import { runSubgraph, type RunningSubgraph } from '../subgraphs/common/run-subgraph';
import { Shutdown } from '../subgraphs/common/shutdown';
import { profilesSubgraph } from '../subgraphs/profiles';
import { signalsSubgraph } from '../subgraphs/signals';
import { Event } from '../subgraphs/signals/entities/event.entity';
import { Identity, IdentityType } from '../subgraphs/profiles/entities/identity.entity';
import { riskSubgraph } from '../subgraphs/risk';
import { ActivityEvent } from '../subgraphs/risk/entities/activity-event.entity';
import { ActivitySignal } from '../subgraphs/risk/entities/activity-signal.entity';
import { ModelKind, ModelStatus } from '../subgraphs/risk/entities/model-version.entity';
import { RiskScore } from '../subgraphs/risk/entities/risk-score.entity';
import { ModelService } from '../subgraphs/risk/services/model.service';
import { scoreProfile, type ScoreProfileJob } from '../subgraphs/risk/workers/score-profile.worker';
import { trainModel } from '../subgraphs/risk/workers/train-model.worker';
import { BENCH_ENV_VAR, benchConfigFromParent, createBenchEnv } from './lib/bench-env';
import { Child, serveParent, type CpuSnapshot } from './lib/child';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile';
import type { StartGatewayRequest } from './lib/gateway-process';
import { createApiKey } from './lib/keys';
import { cpuMs, intEnv, machineMeta, packageVersion, percentile, round2, say, table, writeResults } from './lib/report';
import type { StartSubgraphsRequest } from './lib/subgraphs-process';

/** A whole number ≥ 0 from the environment (intEnv refuses 0), or `fallback`. */
function wholeEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0 (got "${raw}")`);
  return n;
}

/** Comma-separated positive integers from the environment. */
function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name}: comma-separated positive integers (got "${raw}")`);
  return list;
}

function parseParts(raw: string): Set<'scoring' | 'pipeline'> {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!list.length || list.some((p) => p !== 'scoring' && p !== 'pipeline')) throw new Error(`BENCH_SCORE_PARTS: scoring and/or pipeline, comma-separated (got "${raw}")`);
  return new Set(list as ('scoring' | 'pipeline')[]);
}

const PROFILES = intEnv('BENCH_SCORE_PROFILES', 1000);
const CONCURRENCIES = listEnv('BENCH_SCORE_CONCURRENCY', [1, 10, 100]);
const RATE = intEnv('BENCH_SCORE_RATE', 1000);
const SECONDS = intEnv('BENCH_SCORE_SECONDS', 20);
const LOW_RATE = intEnv('BENCH_SCORE_LOW_RATE', 20);
const LOW_SECONDS = intEnv('BENCH_SCORE_LOW_SECONDS', 15);
const DRAIN_SECONDS = intEnv('BENCH_SCORE_DRAIN_SECONDS', 20);
const DEBOUNCE_MS = wholeEnv('BENCH_SCORE_DEBOUNCE_MS', 0);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : '';
const PARTS = parseParts(process.env.BENCH_SCORE_PARTS ?? 'scoring,pipeline');
const BATCH = 20;
/** Requests to the gateway at once; a tick finding this many still unanswered sends nothing (counted). */
const MAX_IN_FLIGHT = intEnv('BENCH_SCORE_MAX_IN_FLIGHT', 64);
/** Episode B follows episode A of the same profile after this long. */
const EPISODE_GAP_MS = 2000;
const TENANT = 'bench';
const DAY = 86_400_000;
/** The child side: forked by this very file (Child.start resolves names from bench/lib). */
const SELF = '../score.bench';
const TARGET_RATIO = 0.8;
const TARGET_P99_MS = 100;

type Mode = 'real' | 'noop';
type ModelLabel = 'prior' | 'trained churn model';

const round1 = (n: number) => Math.round(n * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Stats {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

function stats(xs: number[]): Stats {
  const s = Float64Array.from(xs).sort();
  return { p50: round2(percentile(s, 50)), p99: round2(percentile(s, 99)), max: round2(s.length ? s[s.length - 1] : NaN), n: s.length };
}

// ---------------------------------------------------------------------------------------------
// Child process: the risk subgraph (workers: false) and, per measured run, one BullMQ worker.
// ---------------------------------------------------------------------------------------------

interface DrainRequest {
  mode: Mode;
  concurrency: number;
  /** Jobs waiting in the queue: the run ends when this many have completed or failed for good. */
  jobs: number;
  /** Give up after this long. */
  timeoutMs: number;
}

interface DrainOutcome {
  /** worker.run() → last completion, ms. */
  ms: number;
  completed: number;
  failed: number;
  firstError: string | null;
  timedOut: boolean;
  /** riskChanged publications by the real processor (score rows that were news). */
  published: number;
}

function serveScoreWorker(): void {
  const config = benchConfigFromParent();
  let risk: RunningSubgraph | null = null;
  serveParent({
    async start() {
      if (risk) throw new Error('already started');
      risk = await runSubgraph(riskSubgraph, config, { port: 0, workers: false });
      return risk.url;
    },
    async drain(arg) {
      if (!risk) throw new Error('drain before start');
      const { mode, concurrency, jobs, timeoutMs } = arg as DrainRequest;
      const deps = risk.deps;
      // count publications without touching the service: wrap this process's pubSub.publish
      let published = 0;
      const publish = deps.pubSub.publish;
      deps.pubSub.publish = ((...args: unknown[]) => {
        published++;
        return (publish as (...a: unknown[]) => void).apply(deps.pubSub, args);
      }) as typeof publish;
      const processor = mode === 'real' ? async (job: Job<ScoreProfileJob>) => void (await scoreProfile(job, deps)) : async () => undefined;
      // exactly the production worker's options (startScoreProfileWorker), but started on demand
      const worker = new Worker<ScoreProfileJob>(SCORE_PROFILE, processor, { ...workerOptions(deps.redis, config.queuePrefix, concurrency), autorun: false });
      worker.on('error', (err) => deps.log.error({ err }, 'bench score worker error'));
      let completed = 0;
      let failed = 0;
      let firstError: string | null = null;
      let lastAt = 0;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const finished = new Promise<void>((resolveDone) => {
        const check = () => {
          lastAt = performance.now();
          if (completed + failed >= jobs) resolveDone();
        };
        worker.on('completed', () => {
          completed++;
          check();
        });
        worker.on('failed', (job, err) => {
          firstError ??= err.stack ?? String(err);
          // a failed attempt that will be retried is not the end of the job
          if (err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || (job?.attemptsMade ?? 0) >= (job?.opts.attempts ?? 1)) {
            failed++;
            check();
          }
        });
        timer = setTimeout(() => {
          timedOut = true;
          resolveDone();
        }, timeoutMs);
      });
      const started = performance.now();
      const running = worker.run();
      await finished;
      clearTimeout(timer);
      await worker.close();
      await running;
      deps.pubSub.publish = publish;
      return { ms: (timedOut ? performance.now() : lastAt) - started, completed, failed, firstError, timedOut, published } satisfies DrainOutcome;
    },
    async stop() {
      await risk?.close();
      risk = null;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Part 1: scoring throughput.
// ---------------------------------------------------------------------------------------------


const FEATURES = ['Feature Used', 'Feature Used', 'Feature Used', 'Report Exported', 'Screen Viewed'];
const PLANS = ['free', 'starter', 'pro', 'enterprise'];

interface SeededTenant {
  profileIds: string[];
  events: Partial<ActivityEvent>[];
  signals: Partial<ActivitySignal>[];
  churners: number;
}

/**
 * A subscription business (adapted from test/integration/risk/churn-model.test.ts), ending now:
 * customers joined 120–160 days ago and use the product 0.25–0.7 times a day, 12% of it orders
 * with revenue; 30% cancel at some point, fading out and hitting friction in the weeks before;
 * some loyal customers hit friction too (a fifth of them within the last 30 days).
 */
function simulateTenant(profiles: number, now: number): SeededTenant {
  const random = createSeededRandom(42);
  const events: Partial<ActivityEvent>[] = [];
  const signals: Partial<ActivitySignal>[] = [];
  const profileIds: string[] = [];
  let churners = 0;
  const event = (profileId: string, name: string, t: number, revenue: number | null = null, type: 'track' | 'identify' = 'track', traits: Record<string, unknown> = {}) =>
    events.push({ tenantId: TENANT, profileId, eventId: uuidv7(), type, name: type === 'identify' ? null : name, timestamp: new Date(t), revenue, traits });
  const signal = (profileId: string, type: string, severity: number, t: number, summary: string) =>
    signals.push({ tenantId: TENANT, profileId, signalId: uuidv7(), type, severity: round2(severity), detectedAt: new Date(t), journeyInstanceId: null, summary });
  for (let p = 0; p < profiles; p++) {
    const profileId = uuidv7();
    profileIds.push(profileId);
    const start = now - (120 + random() * 40) * DAY;
    const cancelAt = random() < 0.3 ? now - (3 + random() * 110) * DAY : Infinity;
    const rate = 0.25 + random() * 0.45; // events a day
    event(profileId, '', start, null, 'identify', { plan: PLANS[Math.floor(random() * PLANS.length)], seats: 1 + Math.floor(random() * 20) });
    for (let t = start + DAY * random(); t < Math.min(now, cancelAt); t += (-Math.log(1 - random()) / rate) * DAY) {
      if (cancelAt - t < 25 * DAY && random() < 0.6) continue; // churners fade out
      if (random() < 0.12) event(profileId, 'Order Completed', t, round2(15 + random() * 120));
      else event(profileId, FEATURES[Math.floor(random() * FEATURES.length)], t);
    }
    if (cancelAt < now) {
      churners++;
      event(profileId, 'Subscription Cancelled', cancelAt);
      const frictions = 1 + Math.floor(random() * 3);
      for (let i = 0; i < frictions; i++) {
        const type = random() < 0.5 ? 'retry_loop' : 'support_burst';
        signal(profileId, type, 0.5 + random() * 0.5, cancelAt - random() * 20 * DAY, type === 'retry_loop' ? '3 failed ID uploads in 10 min' : '3 tickets in 7 days');
      }
    } else if (random() < 0.2) {
      signal(profileId, 'retry_loop', 0.5 + random() * 0.3, now - random() * (random() < 0.2 ? 30 : 100) * DAY, '3 failed ID uploads in 10 min');
    }
  }
  return { profileIds, events, signals, churners };
}

/** What `ModelService.requestTraining` is given (the churn-model integration test's settings). */
const CHURN_SETTINGS: Record<string, unknown> = {
  label: { kind: 'event', event: 'Subscription Cancelled', withinDays: 30 },
  events: ['Feature Used', 'Report Exported'],
  traits: [],
  signalTypes: null,
  purchaseEvent: 'Order Completed',
  snapshotDates: null,
  snapshotEveryDays: 14,
  snapshotCount: 6,
  holdoutFraction: 0.3,
  l2: 1,
};

interface ScoringRun {
  mode: Mode;
  model: ModelLabel | null;
  concurrency: number;
  /** `first`: every profile's first score (or first with this model); `steady`: re-scores (measured). */
  pass: 'first' | 'steady';
  jobs: number;
  completed: number;
  failed: number;
  seconds: number;
  profilesPerSecond: number;
  /** CPU (user + system) of the worker process per job, ms. */
  workerCpuMsPerJob: number;
  /** Share of one core the worker process used during the run. */
  workerCpuPercentOfOneCore: number;
  riskChangedPublished: number;
  firstError: string | null;
  timedOut: boolean;
}

interface ScoringReport {
  profiles: number;
  events: number;
  signals: number;
  eventsPerProfile: { min: number; mean: number; max: number };
  churners: number;
  seedSeconds: number;
  training: {
    seconds: number;
    status: string;
    error: string | null;
    version: number | null;
    metrics: Record<string, unknown> | null;
    activated: boolean;
  } | null;
  runs: ScoringRun[];
  ratios: { model: ModelLabel; concurrency: number; ratio: number }[];
  riskScoreRows: number;
  cpuProfile: ProfileSummary | null;
}

async function scoringPart(): Promise<ScoringReport> {
  const env = await createBenchEnv({ vars: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' } });
  const shutdown = new Shutdown();
  let child: Child | null = null;
  cleanups.push(async () => {
    child?.kill();
    await shutdown.run();
    await env.cleanup();
  });
  try {
    const orm = await initOrm(env.config, riskSubgraph.orm, shutdown);
    const redis = createRedis(env.config.redisUrl, shutdown, 'bench-score-parent');
    const queues = new Queues(redis, env.config.queuePrefix);
    shutdown.defer(() => queues.close());
    const queue = queues.get(SCORE_PROFILE);

    const seedStarted = performance.now();
    const tenant = simulateTenant(PROFILES, Date.now());
    for (let i = 0; i < tenant.events.length; i += 2000) {
      const em = orm.em.fork();
      await em.insertMany(ActivityEvent, tenant.events.slice(i, i + 2000).map((e) => em.create(ActivityEvent, e as ActivityEvent)));
    }
    for (let i = 0; i < tenant.signals.length; i += 2000) {
      const em = orm.em.fork();
      await em.insertMany(ActivitySignal, tenant.signals.slice(i, i + 2000).map((s) => em.create(ActivitySignal, s as ActivitySignal)));
    }
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    const perProfile = new Map<string, number>();
    for (const e of tenant.events) perProfile.set(e.profileId!, (perProfile.get(e.profileId!) ?? 0) + 1);
    const counts = [...perProfile.values()];
    say(
      `scoring: seeded ${PROFILES} profiles (${tenant.events.length} events, ${counts.length ? Math.min(...counts) : 0}–${counts.length ? Math.max(...counts) : 0} a profile; ` +
        `${tenant.signals.length} signals; ${tenant.churners} churners) in ${seedSeconds.toFixed(1)}s`,
    );

    child = await Child.start(SELF, 'score worker', env.vars);
    await child.call('start');
    const runs: ScoringRun[] = [];
    let cpuProfile: ProfileSummary | null = null;
    let runNo = 0;
    const run = async (mode: Mode, model: ModelLabel | null, concurrency: number, pass: ScoringRun['pass'], profile = false): Promise<ScoringRun> => {
      await queue.obliterate({ force: true });
      const tag = `r${++runNo}`;
      for (let i = 0; i < tenant.profileIds.length; i += 1000) {
        await queue.addBulk(
          tenant.profileIds.slice(i, i + 1000).map((profileId) => ({
            name: SCORE_PROFILE,
            data: { tenantId: TENANT, profileId, reason: `bench:${tag}` },
            opts: { jobId: `${TENANT}-${profileId}-${tag}` },
          })),
        );
      }
      const file = profile && CPU_PROF_DIR ? join(CPU_PROF_DIR, `score-worker-${mode}-c${concurrency}.cpuprofile`) : '';
      if (file) await child!.startCpuProfile();
      const before: CpuSnapshot = await child!.cpu();
      const out = await child!.call<DrainOutcome>('drain', { mode, concurrency, jobs: tenant.profileIds.length, timeoutMs: 180_000 } satisfies DrainRequest);
      const after: CpuSnapshot = await child!.cpu();
      if (file) {
        await child!.stopCpuProfile(file);
        cpuProfile = summarizeCpuProfile(file);
      }
      const seconds = out.ms / 1000;
      const cpu = cpuMs(before, after);
      const r: ScoringRun = {
        mode,
        model,
        concurrency,
        pass,
        jobs: tenant.profileIds.length,
        completed: out.completed,
        failed: out.failed,
        seconds: round2(seconds),
        profilesPerSecond: round1(out.completed / seconds),
        workerCpuMsPerJob: round2(cpu / Math.max(1, out.completed + out.failed)),
        workerCpuPercentOfOneCore: round1((cpu / out.ms) * 100),
        riskChangedPublished: out.published,
        firstError: out.firstError,
        timedOut: out.timedOut,
      };
      say(
        `  ${mode === 'noop' ? 'no-op' : `real (${model})`}, concurrency ${concurrency}${pass === 'first' ? ', first scores' : ''}: ` +
          `${r.completed}/${r.jobs} in ${r.seconds}s = ${r.profilesPerSecond} profiles/s, worker CPU ${r.workerCpuMsPerJob} ms/job (${r.workerCpuPercentOfOneCore}% of a core)` +
          `${r.failed ? `, ${r.failed} FAILED (${(r.firstError ?? '').split('\n')[0]})` : ''}${r.timedOut ? ', TIMED OUT' : ''}, riskChanged published ${r.riskChangedPublished}`,
      );
      runs.push(r);
      return r;
    };

    say('scoring: cold-start prior (no model)…');
    await run('real', 'prior', 10, 'first');
    for (const c of CONCURRENCIES) {
      await run('noop', null, c, 'steady');
      await run('real', 'prior', c, 'steady', c === 10);
    }

    say('scoring: training a churn model on the same tenant (requestTraining + trainModel), then activate(id, 1)…');
    let training: ScoringReport['training'] = null;
    const trainStarted = performance.now();
    try {
      const log = createLogger('bench-score', env.config.logLevel);
      const requested = await new ModelService(orm.em.fork(), TENANT, queues).requestTraining(ModelKind.CHURN, CHURN_SETTINGS);
      const trained = await trainModel({ id: requested.id, data: { tenantId: TENANT, modelId: requested.id } }, { orm, log });
      let activated = false;
      if (trained.status === ModelStatus.READY) {
        activated = (await new ModelService(orm.em.fork(), TENANT, queues).activate(trained.id, 1)).active;
      }
      const m = (trained.metrics ?? null) as Record<string, any> | null;
      training = {
        seconds: round2((performance.now() - trainStarted) / 1000),
        status: trained.status,
        error: trained.error,
        version: trained.version,
        metrics: m && { rows: m.rows, positives: m.positives, negatives: m.negatives, rocAuc: m.holdout?.rocAuc ?? null, features: trained.features.length },
        activated,
      };
      say(`  ${trained.status} in ${training.seconds}s${m ? ` (${m.rows} rows, ${m.positives} positive, holdout ROC AUC ${round2(m.holdout?.rocAuc ?? NaN)})` : ''}${trained.error ? `: ${trained.error}` : ''}; active: ${activated}`);
    } catch (err) {
      training = { seconds: round2((performance.now() - trainStarted) / 1000), status: 'error', error: (err as Error).message, version: null, metrics: null, activated: false };
      say(`  training failed: ${(err as Error).message}; the trained-model runs are skipped`);
    }
    if (training.activated) {
      await run('real', 'trained churn model', 10, 'first');
      for (const c of CONCURRENCIES) await run('real', 'trained churn model', c, 'steady');
    }
    const riskScoreRows = await orm.em.fork().count(RiskScore, { tenantId: TENANT });
    const noop = (c: number) => runs.find((r) => r.mode === 'noop' && r.concurrency === c)!;
    const ratios = runs
      .filter((r) => r.mode === 'real' && r.pass === 'steady')
      .map((r) => ({ model: r.model!, concurrency: r.concurrency, ratio: round2(r.profilesPerSecond / noop(r.concurrency).profilesPerSecond) }));
    return {
      profiles: PROFILES,
      events: tenant.events.length,
      signals: tenant.signals.length,
      eventsPerProfile: { min: Math.min(...counts), mean: round1(tenant.events.length / PROFILES), max: Math.max(...counts) },
      churners: tenant.churners,
      seedSeconds: round2(seedSeconds),
      training,
      runs,
      ratios,
      riskScoreRows,
      cpuProfile,
    };
  } finally {
    await child?.stop();
    await shutdown.run();
    await env.cleanup();
    cleanups.pop();
  }
}

// ---------------------------------------------------------------------------------------------
// Part 2: event → riskChanged at a graphql-ws subscriber, through the whole platform.
// ---------------------------------------------------------------------------------------------

const RISK_CHANGED = /* GraphQL */ `
  subscription {
    riskChanged {
      profile { id }
      score
      scoredAt
    }
  }
`;

type Episode = 'A' | 'B';

interface SentEpisode {
  userId: string;
  episode: Episode;
  messageIds: string[];
  /** performance.now() when its batch was handed to fetch. */
  t: number;
  events: number;
}

interface SentBatch {
  t: number;
  episodes: SentEpisode[];
  events: number;
  ok: boolean;
  status: number;
  ms: number;
  error?: string;
}

interface ReceivedChange {
  profileId: string;
  score: number;
  t: number;
}

/** The subscriber: `riskChanged` through the gateway over graphql-ws, timestamped on arrival. */
class RiskSubscriber {
  readonly changes: ReceivedChange[] = [];
  readonly errors: string[] = [];
  private readonly client: Client;
  readonly connected: Promise<void>;

  constructor(wsUrl: string, key: string) {
    let onConnected: () => void = () => undefined;
    this.connected = new Promise<void>((r) => (onConnected = r));
    this.client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const code = (event as { code?: number }).code;
          if (code !== 1000) this.errors.push(`socket closed (${code ?? 'no code'})`);
        },
      },
    });
    this.client.subscribe<{ riskChanged: { profile: { id: string }; score: number; scoredAt: string } }>(
      { query: RISK_CHANGED },
      {
        next: (result) => {
          const t = performance.now();
          if (result.errors?.length) this.errors.push(JSON.stringify(result.errors).slice(0, 300));
          const change = result.data?.riskChanged;
          if (change) this.changes.push({ profileId: change.profile.id, score: change.score, t });
        },
        error: (err) => void this.errors.push(err instanceof Error ? err.message : JSON.stringify(err).slice(0, 300)),
        complete: () => undefined,
      },
    );
  }

  close(): Promise<void> {
    return this.client.dispose() as Promise<void>;
  }
}

/** Batches of the workload (see the header) to `/v1/batch`, and what was accepted. */
class LoadGenerator {
  private seq = 0;
  private users = 0;

  constructor(
    private readonly url: string,
    private readonly authorization: string,
    private readonly runId: string,
  ) {}

  private messageId(): string {
    return `${this.runId}-${++this.seq}`;
  }

  /** Sends at `rate` events/s for `seconds`: BATCH events per request, in even ticks. */
  async run(phase: string, rate: number, seconds: number): Promise<{ batches: SentBatch[]; skipped: number; seconds: number; acceptSeconds: number }> {
    const tickMs = (1000 * BATCH) / rate;
    const ticks = Math.max(1, Math.round((seconds * 1000) / tickMs));
    const dueB: { userId: string; at: number }[] = [];
    const batches: SentBatch[] = [];
    const inFlight = new Set<Promise<void>>();
    const started = performance.now();
    let lastOkAt = started;
    let skipped = 0;
    for (let tick = 0; tick < ticks; tick++) {
      const next = started + (tick + 1) * tickMs;
      if (inFlight.size >= MAX_IN_FLIGHT) {
        // the ingest is this far behind: an open-loop sender would only queue more sockets
        skipped++;
        if (next > performance.now()) await sleep(next - performance.now());
        continue;
      }
      const now = performance.now();
      const wall = Date.now();
      const episodes: SentEpisode[] = [];
      const events: Record<string, unknown>[] = [];
      const ids: string[] = [];
      const track = (userId: string, name: string, offsetMs: number, extra: Record<string, unknown> = {}) =>
        events.push({
          type: 'track',
          messageId: ids[ids.push(this.messageId()) - 1],
          userId,
          event: name,
          properties: { sentAtMs: wall, sentAt: new Date(wall).toISOString(), bench: phase, ...extra },
          timestamp: new Date(wall + offsetMs).toISOString(),
        });
      // B episodes that are due (at most 14 a batch, the rest wait), then A episodes fill the batch
      let b = 0;
      while (b < 14 && dueB.length && dueB[0].at <= now) {
        const { userId } = dueB.shift()!;
        track(userId, 'ID Upload Failed', 0, { reason: 'glare', attempt: 3 });
        episodes.push({ userId, episode: 'B', messageIds: ids.splice(0), t: now, events: 1 });
        b++;
      }
      const room = BATCH - b;
      const aCount = Math.floor(room / 3);
      let extra = room - 3 * aCount;
      for (let i = 0; i < aCount; i++) {
        const userId = `${this.runId}-${phase}-${++this.users}`;
        const views = 1 + (extra > 0 ? 1 : 0);
        if (extra > 0) extra--;
        for (let v = 0; v < views; v++) track(userId, 'Screen Viewed', -3000 + v, { screen: v ? 'id_upload' : 'onboarding' });
        track(userId, 'ID Upload Failed', -2000, { reason: 'blurry', attempt: 1 });
        track(userId, 'ID Upload Failed', -1000, { reason: 'blurry', attempt: 2 });
        episodes.push({ userId, episode: 'A', messageIds: ids.splice(0), t: now, events: views + 2 });
        dueB.push({ userId, at: now + EPISODE_GAP_MS });
      }
      const batch: SentBatch = { t: now, episodes, events: events.length, ok: false, status: 0, ms: 0 };
      batches.push(batch);
      const body = JSON.stringify({ batch: events, sentAt: new Date(wall).toISOString() });
      const p = fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: this.authorization }, body })
        .then(async (res) => {
          const text = await res.text();
          batch.status = res.status;
          batch.ok = res.status === 200 && text.includes(`"accepted":${batch.events}`);
          if (!batch.ok) batch.error = text.slice(0, 300);
          else lastOkAt = Math.max(lastOkAt, performance.now());
        })
        .catch((err: unknown) => {
          batch.error = (err as Error).message;
        })
        .finally(() => {
          batch.ms = performance.now() - now;
          inFlight.delete(p);
        });
      inFlight.add(p);
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
    const sendSeconds = (performance.now() - started) / 1000;
    await Promise.all(inFlight);
    return { batches, skipped, seconds: sendSeconds, acceptSeconds: (lastOkAt - started) / 1000 };
  }
}

const PIPELINE_QUEUES: QueueName[] = [RESOLVE_IDENTITY, EVENT_RESOLVED, DETECT_FRICTION, RECORD_ACTIVITY, SCORE_PROFILE];

interface Sample {
  /** Seconds since the phase started sending. */
  s: number;
  /** Jobs waiting/active/prioritized per queue (delayed apart). */
  pending: Record<string, number>;
  delayed: number;
  /** Events risk has recorded (activity_event rows of the tenant, all phases). */
  riskEvents: number;
  changes: number;
}

/** The parent's view of the running platform: queue depths and what risk has recorded. */
class PipelineProbe {
  private constructor(
    private readonly queues: Queue[],
    readonly riskOrm: Orm,
    private readonly subscriber: RiskSubscriber,
  ) {}

  static async open(config: Readonly<Config>, shutdown: Shutdown, subscriber: RiskSubscriber): Promise<PipelineProbe> {
    const redis = createRedis(config.redisUrl, shutdown, 'bench-score-probe');
    const queues = PIPELINE_QUEUES.map((name) => createQueue(name, redis, config.queuePrefix) as unknown as Queue);
    shutdown.defer(() => Promise.all(queues.map((q) => q.close())).then(() => undefined));
    return new PipelineProbe(queues, await openReader(config, riskSubgraph.orm, shutdown), subscriber);
  }

  async sample(since: number): Promise<Sample> {
    const counts = await Promise.all(this.queues.map((q) => q.getJobCounts('waiting', 'active', 'prioritized', 'delayed')));
    const riskEvents = await this.riskOrm.em.fork().count(ActivityEvent, { tenantId: TENANT });
    return {
      s: round1((performance.now() - since) / 1000),
      pending: Object.fromEntries(PIPELINE_QUEUES.map((name, i) => [name, counts[i].waiting + counts[i].active + counts[i].prioritized])),
      delayed: counts.reduce((sum, c) => sum + c.delayed, 0),
      riskEvents,
      changes: this.subscriber.changes.length,
    };
  }
}

/** An ORM on a subgraph's database that only reads: no schema update, no migrations. */
async function openReader(config: Readonly<Config>, spec: OrmSpec, shutdown: Shutdown): Promise<Orm> {
  const orm = (await MikroORM.init(ormOptions(config, spec))) as unknown as Orm;
  shutdown.defer(() => orm.close(true));
  return orm;
}

const pendingTotal = (s: Sample) => Object.values(s.pending).reduce((a, b) => a + b, 0);

interface PhaseResult {
  phase: string;
  targetRate: number;
  seconds: number;
  sendSeconds: number;
  batches: number;
  /** Batches not sent because MAX_IN_FLIGHT requests were still unanswered (the ingest fell behind). */
  skippedBatches: number;
  failedBatches: number;
  firstBatchError: string | null;
  eventsAccepted: number;
  achievedRate: number;
  ingestMs: Stats;
  episodes: { A: number; B: number };
  /** riskChanged received for this phase's profiles by the end of its drain. */
  changesReceived: number;
  /** Changes matched to a sent event (one latency each); the rest came with nothing new sent since the previous one. */
  matched: number;
  extraChanges: number;
  /** riskChanged with the same score as the profile's previous one (e.g. concurrent first scores, each publishing). */
  sameScoreChanges: number;
  /** Episodes whose events no riskChanged ever followed (by the end of the drain). */
  unanswered: number;
  /** Episodes sent before the riskChanged matched to an earlier episode of the same profile arrived: covered by it, no latency of their own. */
  absorbed: number;
  latencyMs: Stats;
  latencyByEpisodeMs: { A: Stats; B: Stats };
  /** Answered A episodes, stage by stage (from the subgraphs' rows: see STAGE_LABELS). */
  firstScoreStagesMs: Record<Stage, Stats>;
  /** Users whose profile id was not in the profiles database at the end (not resolved yet): their episodes count as unanswered. */
  unresolvedUsers: number;
  backlogAtSendEnd: Sample;
  backlogAtDrainEnd: Sample;
  maxPendingJobs: number;
  drainSeconds: number;
  /** Nothing waiting or running (delayed jobs apart) twice in a row within the drain window. */
  drained: boolean;
  /** Events risk recorded per second while sending, and over sending + drain. */
  riskEventsPerSecondWhileSending: number;
  riskEventsPerSecondOverall: number;
  /** Share of one core per process while sending. */
  cpuPercentOfOneCore: Record<string, number>;
  /** Event-loop delay of this process (load generator + subscriber) while sending, ms. */
  parentLoopDelayMs: { p99: number; max: number };
  samples: Sample[];
}

interface PhaseRaw {
  phase: string;
  rate: number;
  batches: SentBatch[];
  /** Ticks that sent nothing because MAX_IN_FLIGHT requests were unanswered. */
  skipped: number;
  sendSeconds: number;
  /** First send → last accepted answer. */
  acceptSeconds: number;
  sendEnd: Sample;
  drainEnd: Sample;
  maxPending: number;
  drainSeconds: number;
  drained: boolean;
  riskEventsAtStart: number;
  samples: Sample[];
  cpu: Record<string, number>;
  loop: { p99: number; max: number };
}

interface PipelineReport {
  debounceMs: number;
  changeDelta: number;
  frictionScoreDebounceMs: number;
  layout: string;
  stackStartSeconds: number;
  warmup: { changes: number; seconds: number };
  phases: PhaseResult[];
  subscriberErrors: string[];
  /** BENCH_CPU_PROF: each process over the sending of the sustainable phase. */
  cpuProfiles: Record<string, ProfileSummary>;
}

async function pipelinePart(): Promise<PipelineReport> {
  const env = await createBenchEnv({ vars: { RISK_SCORE_DEBOUNCE_MS: String(DEBOUNCE_MS), RISK_CHANGE_DELTA: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' } });
  const shutdown = new Shutdown();
  const children: Child[] = [];
  const stopAll = async () => {
    for (const c of children.splice(0).reverse()) await c.stop();
    await shutdown.run();
    await env.cleanup();
  };
  cleanups.push(async () => {
    for (const c of children) c.kill();
    await shutdown.run();
    await env.cleanup();
  });
  let subscriber: RiskSubscriber | null = null;
  const pipelineProfiles: Record<string, ProfileSummary> = {};
  try {
    const t0 = performance.now();
    say('pipeline: starting profiles, signals, risk and actions (one process each, with their workers) and the gateway…');
    const names = ['profiles', 'signals', 'risk', 'actions'];
    const started = await Promise.all(
      names.map(async (name) => {
        const child = await Child.start('subgraphs-process', name, env.vars);
        children.push(child);
        return child.call<Record<string, string>>('start', { only: [name], workers: true } satisfies StartSubgraphsRequest);
      }),
    );
    const subgraphUrls = Object.assign({}, ...started) as Record<string, string>;
    const key = await createApiKey(env.config, TENANT, ['events:write', 'risk:subscribe', 'profiles:read'], 'score benchmark');
    const gateway = await Child.start('gateway-process', 'gateway', env.vars);
    children.push(gateway);
    const gatewayUrl = await gateway.call<string>('start', { kind: 'ours', subgraphUrls } satisfies StartGatewayRequest);
    const stackStartSeconds = round2((performance.now() - t0) / 1000);
    const processes: Record<string, Child> = Object.fromEntries(children.map((c) => [c.label, c]));

    subscriber = new RiskSubscriber(gatewayUrl.replace(/^http/, 'ws'), key);
    await Promise.race([subscriber.connected, sleep(10_000).then(() => Promise.reject(new Error(`graphql-ws: not connected after 10 s: ${subscriber!.errors.join('; ')}`)))]);
    await sleep(500); // the subscription reaches the risk subgraph and its Redis SUBSCRIBE
    const probe = await PipelineProbe.open(env.config, shutdown, subscriber);
    const load = new LoadGenerator(gatewayUrl.replace(/\/graphql$/, '/v1/batch'), `Basic ${Buffer.from(`${key}:`).toString('base64')}`, uuidv7().slice(-8));
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();

    const runPhase = async (phase: string, rate: number, seconds: number, drainSeconds: number, profile = false): Promise<PhaseRaw> => {
      const startSample = await probe.sample(performance.now());
      const samples: Sample[] = [];
      const phaseStart = performance.now();
      let sampling: Promise<void> | null = null;
      let maxPending = 0;
      const takeSample = () => {
        if (sampling) return;
        sampling = probe.sample(phaseStart).then(
          (s) => {
            samples.push(s);
            maxPending = Math.max(maxPending, pendingTotal(s));
            sampling = null;
          },
          () => void (sampling = null),
        );
      };
      const timer = setInterval(takeSample, 1000);
      const cpuBefore = await Promise.all(Object.values(processes).map((c) => c.cpu()));
      if (profile) await Promise.all(Object.values(processes).map((c) => c.startCpuProfile()));
      loop.reset();
      const parentCpu = process.cpuUsage();
      const cpuStart = performance.now();
      const sent = await load.run(phase, rate, seconds);
      const cpuAfter = await Promise.all(Object.values(processes).map((c) => c.cpu()));
      const cpuWindowMs = performance.now() - cpuStart;
      if (profile) {
        for (const [name, child] of Object.entries(processes)) {
          const file = join(CPU_PROF_DIR, `score-pipeline-${phase}-${name}.cpuprofile`);
          await child.stopCpuProfile(file);
          pipelineProfiles[`${phase}/${name}`] = summarizeCpuProfile(file);
        }
      }
      const parentUsage = process.cpuUsage(parentCpu);
      const loopDelay = { p99: round2(loop.percentile(99) / 1e6), max: round2(loop.max / 1e6) };
      const cpu: Record<string, number> = {};
      Object.keys(processes).forEach((name, i) => (cpu[name] = round1((cpuMs(cpuBefore[i], cpuAfter[i]) / cpuWindowMs) * 100)));
      cpu['bench (load + subscriber)'] = round1(((parentUsage.user + parentUsage.system) / 1000 / cpuWindowMs) * 100);
      const sendEnd = await probe.sample(phaseStart);
      samples.push(sendEnd);
      maxPending = Math.max(maxPending, pendingTotal(sendEnd));
      // drain: until nothing is waiting or running (delayed debounce jobs apart) twice in a row
      const drainStart = performance.now();
      let idle = 0;
      while ((performance.now() - drainStart) / 1000 < drainSeconds) {
        await sleep(500);
        idle = pendingTotal(await probe.sample(phaseStart)) === 0 ? idle + 1 : 0;
        if (idle >= 2) break;
      }
      clearInterval(timer);
      await sampling;
      await sleep(200); // the last publications reach the subscriber
      const drainEnd = await probe.sample(phaseStart);
      samples.push(drainEnd);
      samples.sort((a, b) => a.s - b.s);
      const drainSecondsUsed = round2((performance.now() - drainStart) / 1000);
      say(
        `  ${phase}: ${sent.batches.filter((b) => b.ok).length}/${sent.batches.length} batches accepted${sent.skipped ? `, ${sent.skipped} not sent (${MAX_IN_FLIGHT} in flight)` : ''} in ${sent.seconds.toFixed(1)}s; ` +
          `pending jobs at the end of sending ${pendingTotal(sendEnd)}, after ${drainSecondsUsed}s of drain ${pendingTotal(drainEnd)}; riskChanged so far ${subscriber!.changes.length}`,
      );
      return {
        phase,
        rate,
        batches: sent.batches,
        skipped: sent.skipped,
        sendSeconds: sent.seconds,
        acceptSeconds: sent.acceptSeconds,
        sendEnd,
        drainEnd,
        maxPending,
        drainSeconds: drainSecondsUsed,
        drained: idle >= 2,
        riskEventsAtStart: startSample.riskEvents,
        samples,
        cpu,
        loop: loopDelay,
      };
    };

    say('pipeline: warm-up (10 s at 20 events/s)…');
    const warmStarted = performance.now();
    await runPhase('warmup', 20, 10, 30);
    if (subscriber.changes.length === 0) {
      throw new Error(`pipeline: no riskChanged reached the subscriber during the warm-up${subscriber.errors.length ? `: ${subscriber.errors.join('; ')}` : ''}`);
    }
    const warmup = { changes: subscriber.changes.length, seconds: round2((performance.now() - warmStarted) / 1000) };
    say(`pipeline: ${LOW_RATE} events/s for ${LOW_SECONDS}s…`);
    const low = await runPhase('low', LOW_RATE, LOW_SECONDS, DRAIN_SECONDS, CPU_PROF_DIR !== '');
    say(`pipeline: ${RATE} events/s (${RATE / BATCH} batches/s × ${BATCH}) for ${SECONDS}s…`);
    const high = await runPhase('target', RATE, SECONDS, DRAIN_SECONDS);
    loop.disable();

    // profile ids of the users sent, from the profiles database
    const profilesOrm = await openReader(env.config, profilesSubgraph.orm, shutdown);
    const identities = await profilesOrm.em.fork().find(Identity, { tenantId: TENANT, type: IdentityType.USER_ID }, { fields: ['value', 'profile'] });
    const profileOf = new Map(identities.map((i) => [i.value, i.profile.id]));
    const lookups = await stageLookups(env.config, shutdown, probe.riskOrm);
    const phases = [low, high].map((raw) => summarizePhase(raw, subscriber!.changes, profileOf, lookups));
    return {
      debounceMs: DEBOUNCE_MS,
      changeDelta: env.config.risk.changeDelta,
      frictionScoreDebounceMs: env.config.friction.scoreDebounceMs,
      layout:
        'five child processes: profiles, signals, risk, actions (each its subgraph and its BullMQ workers, as `npm start` runs them) and the gateway; ' +
        'this process sends the batches (fetch, keep-alive) and holds the graphql-ws subscription; all on 127.0.0.1, SQLite (one file per subgraph, WAL)',
      stackStartSeconds,
      warmup,
      phases,
      subscriberErrors: subscriber.errors.slice(0, 10),
      cpuProfiles: pipelineProfiles,
    };
  } finally {
    await subscriber?.close().catch(() => undefined);
    say('pipeline: stopping the processes and cleaning up (data folder, Redis keys)…');
    await stopAll();
    cleanups.pop();
  }
}

/** Where an event was when, from the subgraphs' own rows (as performance.now() times of this process). */
interface StageLookups {
  /** signals `event` by messageId: stored (receivedAt) and marked processed once profiles resolved it. */
  signals: Map<string, { id: string; receivedAt: number; processedAt: number | null }>;
  /** risk `activity_event.createdAt` by the signals event id. */
  riskRecordedAt: Map<string, number>;
  /** The first churn `risk_score.createdAt` of each profile. */
  firstScoreAt: Map<string, number>;
}

const STAGES = ['ingest', 'resolve', 'detectAndRecord', 'score', 'deliver'] as const;
type Stage = (typeof STAGES)[number];
const STAGE_LABELS: Record<Stage, string> = {
  ingest: 'send → stored by signals',
  resolve: '→ resolved by profiles, marked processed',
  detectAndRecord: '→ detect-friction + record-activity in risk',
  score: '→ first score row',
  deliver: '→ riskChanged at the subscriber',
};

async function stageLookups(config: Readonly<Config>, shutdown: Shutdown, riskOrm: Orm): Promise<StageLookups> {
  const toPerf = (d: Date) => d.getTime() - performance.timeOrigin;
  const signalsOrm = await openReader(config, signalsSubgraph.orm, shutdown);
  const events = await signalsOrm.em.fork().find(Event, { tenantId: TENANT }, { fields: ['messageId', 'receivedAt', 'processedAt'] });
  const recorded = await riskOrm.em.fork().find(ActivityEvent, { tenantId: TENANT }, { fields: ['eventId', 'createdAt'] });
  const scores = await riskOrm.em.fork().find(RiskScore, { tenantId: TENANT, kind: 'churn' }, { fields: ['profileId', 'createdAt'], orderBy: { createdAt: 'asc' } });
  const firstScoreAt = new Map<string, number>();
  for (const r of scores) if (!firstScoreAt.has(r.profileId)) firstScoreAt.set(r.profileId, toPerf(r.createdAt));
  return {
    signals: new Map(events.map((e) => [e.messageId, { id: e.id, receivedAt: toPerf(e.receivedAt), processedAt: e.processedAt ? toPerf(e.processedAt) : null }])),
    riskRecordedAt: new Map(recorded.map((r) => [r.eventId, toPerf(r.createdAt)])),
    firstScoreAt,
  };
}

/** Per-stage times of the A episodes (first score) that got their riskChanged: where the latency goes. */
function stagesOf(answered: { episode: SentEpisode; profileId: string; t: number }[], lookups: StageLookups): Record<Stage, Stats> {
  const out: Record<Stage, number[]> = { ingest: [], resolve: [], detectAndRecord: [], score: [], deliver: [] };
  const min = (xs: (number | null | undefined)[]) => {
    const v = xs.filter((x): x is number => typeof x === 'number');
    return v.length ? Math.min(...v) : null;
  };
  for (const { episode, profileId, t } of answered) {
    const rows = episode.messageIds.map((m) => lookups.signals.get(m)).filter((r) => r !== undefined);
    const received = min(rows.map((r) => r.receivedAt));
    const processed = min(rows.map((r) => r.processedAt));
    const recorded = min(rows.map((r) => lookups.riskRecordedAt.get(r.id)));
    const scored = lookups.firstScoreAt.get(profileId) ?? null;
    if (received === null || processed === null || recorded === null || scored === null) continue;
    out.ingest.push(received - episode.t);
    out.resolve.push(processed - received);
    out.detectAndRecord.push(recorded - processed);
    out.score.push(scored - recorded);
    out.deliver.push(t - scored);
  }
  return Object.fromEntries(STAGES.map((k) => [k, stats(out[k])])) as Record<Stage, Stats>;
}

/** Matches each phase's sent episodes to the riskChanged of their profiles (see the header). */
function summarizePhase(raw: PhaseRaw, changes: ReceivedChange[], profileOf: Map<string, string>, lookups: StageLookups): PhaseResult {
  const accepted = raw.batches.filter((b) => b.ok);
  const episodes = accepted.flatMap((b) => b.episodes);
  const byProfile = new Map<string, SentEpisode[]>();
  const unresolved = new Set<string>();
  let unresolvedEpisodes = 0;
  for (const e of episodes) {
    const profileId = profileOf.get(e.userId);
    if (!profileId) {
      unresolved.add(e.userId);
      unresolvedEpisodes++;
      continue;
    }
    const list = byProfile.get(profileId) ?? [];
    list.push(e);
    byProfile.set(profileId, list);
  }
  const changesOf = new Map<string, number[]>();
  const lastScore = new Map<string, number>();
  let sameScore = 0;
  for (const c of changes) {
    if (!byProfile.has(c.profileId)) continue;
    const list = changesOf.get(c.profileId) ?? [];
    list.push(c.t);
    changesOf.set(c.profileId, list);
    if (lastScore.get(c.profileId) === c.score) sameScore++;
    lastScore.set(c.profileId, c.score);
  }
  const all: number[] = [];
  const by: Record<Episode, number[]> = { A: [], B: [] };
  let received = 0;
  let extra = 0;
  let unanswered = 0;
  const answeredA: { episode: SentEpisode; profileId: string; t: number }[] = [];
  for (const [profileId, sent] of byProfile) {
    sent.sort((a, b) => a.t - b.t);
    const times = (changesOf.get(profileId) ?? []).sort((a, b) => a - b);
    received += times.length;
    let i = 0;
    for (const t of times) {
      if (i < sent.length && sent[i].t <= t) {
        all.push(t - sent[i].t);
        by[sent[i].episode].push(t - sent[i].t);
        if (sent[i].episode === 'A') answeredA.push({ episode: sent[i], profileId, t });
        while (i < sent.length && sent[i].t <= t) i++;
      } else extra++;
    }
    unanswered += sent.length - i;
  }
  // users profiles never resolved by the end of the drain: their episodes were not answered either
  unanswered += unresolvedEpisodes;
  const eventsAccepted = accepted.reduce((s, b) => s + b.events, 0);
  const failed = raw.batches.filter((b) => !b.ok);
  const riskEventsSending = raw.sendEnd.riskEvents - raw.riskEventsAtStart;
  const riskEventsAll = raw.drainEnd.riskEvents - raw.riskEventsAtStart;
  return {
    phase: raw.phase,
    targetRate: raw.rate,
    seconds: raw.phase === 'low' ? LOW_SECONDS : SECONDS,
    sendSeconds: round2(raw.sendSeconds),
    batches: raw.batches.length,
    skippedBatches: raw.skipped,
    failedBatches: failed.length,
    firstBatchError: failed[0] ? `HTTP ${failed[0].status}: ${failed[0].error ?? ''}` : null,
    eventsAccepted,
    achievedRate: round1(eventsAccepted / Math.max(raw.sendSeconds, raw.acceptSeconds)),
    ingestMs: stats(raw.batches.map((b) => b.ms)),
    episodes: { A: episodes.filter((e) => e.episode === 'A').length, B: episodes.filter((e) => e.episode === 'B').length },
    changesReceived: received,
    matched: all.length,
    extraChanges: extra,
    sameScoreChanges: sameScore,
    unanswered,
    absorbed: episodes.length - all.length - unanswered,
    latencyMs: stats(all),
    latencyByEpisodeMs: { A: stats(by.A), B: stats(by.B) },
    firstScoreStagesMs: stagesOf(answeredA, lookups),
    unresolvedUsers: unresolved.size,
    backlogAtSendEnd: raw.sendEnd,
    backlogAtDrainEnd: raw.drainEnd,
    maxPendingJobs: raw.maxPending,
    drainSeconds: raw.drainSeconds,
    drained: raw.drained,
    riskEventsPerSecondWhileSending: round1(riskEventsSending / raw.sendSeconds),
    riskEventsPerSecondOverall: round1(riskEventsAll / (raw.sendSeconds + raw.drainSeconds)),
    cpuPercentOfOneCore: raw.cpu,
    parentLoopDelayMs: raw.loop,
    samples: raw.samples,
  };
}

// ---------------------------------------------------------------------------------------------
// Main.
// ---------------------------------------------------------------------------------------------

/** Teardown of the part running now, for Ctrl-C. */
const cleanups: (() => Promise<void>)[] = [];

function printProfile(p: ProfileSummary): void {
  console.log('');
  console.log(`CPU profile of the worker process, real scoring (prior), concurrency 10 (${p.totalMs} ms sampled, ${p.idlePercent}% idle): ${p.file}`);
  console.log(`  self time by package/file: ${p.byPackage.slice(0, 10).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
  console.log(`  self time by function:     ${p.selfByFunction.slice(0, 8).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
  console.log(`  inclusive by function:     ${p.inclusiveByFunction.slice(0, 12).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
}

const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

function printScoring(scoring: ScoringReport): void {
  const noopOf = (c: number) => scoring.runs.find((r) => r.mode === 'noop' && r.concurrency === c);
  const rows = [
    ['worker (score-profile queue)', 'pass', 'concurrency', 'profiles', 'seconds', 'profiles/s', 'worker CPU ms/job', 'riskChanged', 'failed', 'real/no-op'],
    ...scoring.runs.map((r) => [
      r.mode === 'noop' ? 'no-op processor (baseline)' : `scoreProfile, ${r.model}`,
      r.pass === 'first' ? 'first score' : 're-score',
      String(r.concurrency),
      `${r.completed}/${r.jobs}`,
      r.seconds.toFixed(2),
      r.profilesPerSecond.toFixed(0),
      r.workerCpuMsPerJob.toFixed(2),
      String(r.riskChangedPublished),
      String(r.failed),
      r.mode === 'real' && r.pass === 'steady' && noopOf(r.concurrency) ? `${(r.profilesPerSecond / noopOf(r.concurrency)!.profilesPerSecond).toFixed(2)}×` : '',
    ]),
  ];
  console.log('');
  console.log(
    `1. Scoring throughput: ${scoring.profiles} profiles, ${scoring.events} events (${scoring.eventsPerProfile.min}–${scoring.eventsPerProfile.max}, mean ${scoring.eventsPerProfile.mean} a profile), ` +
      `${scoring.signals} signals, seeded with insertMany in ${scoring.seedSeconds}s; one BullMQ worker in a child process (risk subgraph, workers: false), queue filled before the worker starts.`,
  );
  console.log('');
  console.log(table(rows));
  if (scoring.training) {
    const t = scoring.training;
    console.log('');
    console.log(
      `churn model: ${t.status}${t.error ? ` (${t.error})` : ''} in ${t.seconds}s` +
        (t.metrics ? `, ${t.metrics.rows} training rows (${t.metrics.positives} positive), ${t.metrics.features} features, holdout ROC AUC ${round2(Number(t.metrics.rocAuc))}` : '') +
        `; activated: ${t.activated}.`,
    );
  }
  const worst = scoring.ratios.length ? Math.min(...scoring.ratios.map((r) => r.ratio)) : NaN;
  console.log(`target: re-scoring ≥ ${TARGET_RATIO}× the no-op rate; worst ratio measured ${worst.toFixed(2)}× (${worst >= TARGET_RATIO ? 'met' : 'NOT met'}).`);
  if (scoring.cpuProfile) printProfile(scoring.cpuProfile);
}

function printPipeline(pipeline: PipelineReport): void {
  const backlog = (s: Sample) => `${pendingTotal(s)} (${PIPELINE_QUEUES.map((q) => `${q} ${s.pending[q]}`).join(', ')}; delayed ${s.delayed})`;
  const rows = [
    ['phase', 'target ev/s', 'sent ev/s', 'events', 'episodes', 'riskChanged', 'matched', 'absorbed', 'unanswered', 'p50 ms', 'p99 ms', 'max ms', 'risk ev/s', 'jobs pending @end', 'drained'],
    ...pipeline.phases.map((p) => [
      p.phase === 'low' ? 'low rate' : 'target rate',
      String(p.targetRate),
      p.achievedRate.toFixed(0),
      String(p.eventsAccepted),
      String(p.episodes.A + p.episodes.B),
      String(p.changesReceived),
      String(p.matched),
      String(p.absorbed),
      String(p.unanswered),
      fmt(p.latencyMs.p50),
      fmt(p.latencyMs.p99),
      fmt(p.latencyMs.max),
      p.riskEventsPerSecondWhileSending.toFixed(0),
      String(pendingTotal(p.backlogAtSendEnd)),
      p.drained ? `yes, in ${p.drainSeconds.toFixed(0)}s` : `no: ${pendingTotal(p.backlogAtDrainEnd)} left after ${p.drainSeconds.toFixed(0)}s`,
    ]),
  ];
  console.log('');
  console.log(
    `2. Event → riskChanged at a graphql-ws subscriber through the gateway: RISK_SCORE_DEBOUNCE_MS=${pipeline.debounceMs}, RISK_CHANGE_DELTA=${pipeline.changeDelta}, ` +
      `FRICTION_SCORE_DEBOUNCE_MS=${pipeline.frictionScoreDebounceMs} (default); ${BATCH} events per POST /v1/batch; stack up in ${pipeline.stackStartSeconds}s; ` +
      `warm-up: ${pipeline.warmup.changes} riskChanged in ${pipeline.warmup.seconds}s.`,
  );
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const p of pipeline.phases) {
    console.log(
      `${p.phase === 'low' ? 'low rate' : 'target rate'} (${p.targetRate} ev/s): ${p.batches - p.failedBatches}/${p.batches} batches accepted` +
        `${p.skippedBatches ? `, ${p.skippedBatches} not sent (${MAX_IN_FLIGHT} requests unanswered)` : ''} (ingest p50 ${fmt(p.ingestMs.p50)} ms, p99 ${fmt(p.ingestMs.p99)} ms)` +
        `${p.firstBatchError ? `, first refusal: ${p.firstBatchError.slice(0, 160)}` : ''}; episodes A ${p.episodes.A} (first score) p50/p99 ${fmt(p.latencyByEpisodeMs.A.p50)}/${fmt(p.latencyByEpisodeMs.A.p99)} ms (n ${p.latencyByEpisodeMs.A.n}), ` +
        `B ${p.episodes.B} (retry loop) p50/p99 ${fmt(p.latencyByEpisodeMs.B.p50)}/${fmt(p.latencyByEpisodeMs.B.p99)} ms (n ${p.latencyByEpisodeMs.B.n}); extra riskChanged ${p.extraChanges} (${p.sameScoreChanges} repeating the profile's previous score); ` +
        `${p.unresolvedUsers ? `${p.unresolvedUsers} users still without a profile at the end (their episodes count as unanswered); ` : ''}` +
        `risk recorded ${p.riskEventsPerSecondWhileSending} ev/s while sending, ${p.riskEventsPerSecondOverall} ev/s with the drain; max pending jobs ${p.maxPendingJobs}.`,
    );
    const st = p.firstScoreStagesMs;
    console.log(`  where an answered A episode's time goes, p50 (p99) ms, n ${st.ingest.n}: ${STAGES.map((k) => `${STAGE_LABELS[k]} ${fmt(st[k].p50)} (${fmt(st[k].p99)})`).join(' ')}`);
    console.log(`  pending jobs at the end of sending: ${backlog(p.backlogAtSendEnd)}; at the end of the drain: ${backlog(p.backlogAtDrainEnd)}${p.drained ? '' : ' (not drained)'}.`);
    console.log(
      `  CPU % of one core while sending: ${Object.entries(p.cpuPercentOfOneCore).map(([n, v]) => `${n} ${v}`).join(', ')}; this process's event-loop delay p99 ${p.parentLoopDelayMs.p99} ms, max ${p.parentLoopDelayMs.max} ms.`,
    );
  }
  const target = pipeline.phases.find((p) => p.phase === 'target')!;
  console.log(
    `target: p99 event → subscriber < ${TARGET_P99_MS} ms at ${RATE} events/s: measured ${fmt(target.latencyMs.p99)} ms ` +
      `(${target.latencyMs.p99 < TARGET_P99_MS && target.unanswered === 0 ? 'met' : 'NOT met'}); risk recorded ${target.riskEventsPerSecondWhileSending} events/s of the ${target.achievedRate} sent.`,
  );
  if (pipeline.subscriberErrors.length) console.log(`subscriber errors: ${pipeline.subscriberErrors.join('; ')}`);
  for (const [name, p] of Object.entries(pipeline.cpuProfiles)) {
    console.log(`CPU profile ${name} (${p.totalMs} ms sampled, ${p.idlePercent}% idle): by package/file ${p.byPackage.slice(0, 8).map((x) => `${x.name} ${x.percent}%`).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      say(`${signal}: cleaning up before exiting…`);
      void Promise.all(cleanups.map((c) => c().catch(() => undefined))).finally(() => process.exit(130));
    });
  }
  say(
    `score benchmark: SQLite; ${[
      PARTS.has('scoring') ? `scoring ${PROFILES} profiles at concurrency ${CONCURRENCIES.join(', ')}` : '',
      PARTS.has('pipeline') ? `pipeline ${LOW_RATE} then ${RATE} events/s, RISK_SCORE_DEBOUNCE_MS=${DEBOUNCE_MS}` : '',
    ]
      .filter(Boolean)
      .join('; ')}`,
  );
  const scoring = PARTS.has('scoring') ? await scoringPart() : null;
  const pipeline = PARTS.has('pipeline') ? await pipelinePart() : null;
  const loadAtEnd = loadavg()[0];

  console.log('');
  console.log(`Risk scoring benchmark: SQLite; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  if (scoring) printScoring(scoring);
  if (pipeline) printPipeline(pipeline);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      database: 'sqlite',
      parts: [...PARTS],
      profiles: PROFILES,
      concurrencies: CONCURRENCIES,
      rate: RATE,
      seconds: SECONDS,
      lowRate: LOW_RATE,
      lowSeconds: LOW_SECONDS,
      drainSeconds: DRAIN_SECONDS,
      batchSize: BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      riskScoreDebounceMs: DEBOUNCE_MS,
      riskChangeDelta: 0,
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3', 'graphql-ws'].map((p) => [p, packageVersion(p)])),
      targets: { scoringRatio: TARGET_RATIO, eventToSubscriberP99Ms: TARGET_P99_MS },
      workload: {
        scoring:
          'one synthetic subscription tenant ending now: identify + Feature Used/Report Exported/Screen Viewed + 12% Order Completed with revenue over 120–160 days; ' +
          '30% cancel (Subscription Cancelled, fading out, 1–3 retry_loop/support_burst signals before); 20% of the rest one retry_loop signal',
        pipeline:
          `per user: episode A = Screen Viewed (+1 when a batch has room) + 2 × ID Upload Failed in one batch (first score), episode B = a third ID Upload Failed ${EPISODE_GAP_MS} ms later ` +
          `(retry_loop signal → re-score); ${BATCH} events per batch, due B episodes first (≤ 14), A episodes fill the rest`,
      },
      notes: [
        'scoring: the queue is filled (addBulk of 1000) before the worker starts; profiles/s = jobs ÷ (worker.run() → last completion) in the worker process; ' +
          'the worker has production options (workerOptions) and runs in a child process with the risk subgraph (runSubgraph, workers: false).',
        'scoring baseline: a no-op processor on the same queue, same jobs, same concurrency, same process; ratio = real ÷ no-op at the same concurrency, re-score passes only.',
        'first-score passes (not in the ratios) make every later pass a re-score: the first score of a profile, or the first with a new model, also publishes riskChanged and queues raise-alerts/set-computed-traits on a bucket crossing.',
        'pipeline: latency = receipt at the subscriber (this process) − the moment the batch of the earliest not-yet-matched event of that profile was handed to fetch; profile ids are mapped to users from the profiles database after the run.',
        'pipeline: sent ev/s = accepted events ÷ (first send → last accepted answer), so a backed-up ingest shows as a lower rate, not as requests still in flight; ' +
          'a tick that finds BENCH_SCORE_MAX_IN_FLIGHT (default 64) requests unanswered sends nothing and is counted as not sent.',
        'pipeline: “matched” episodes have a latency; “absorbed” ones were sent before the riskChanged matched to an earlier episode of the same profile arrived (so that change covers them, e.g. a B episode sent while its A was still in the pipeline); ' +
          '“unanswered” counts episodes no riskChanged followed by the end of the drain; “extra” counts riskChanged with nothing new sent since the previous one (two first scores that raced, or a change that arrived after the next episode was sent and so was matched to the earlier one).',
        'pipeline: riskChanged is published only when a score moves (RISK_CHANGE_DELTA=0 here: any move); an event that does not move the prior (a Screen Viewed) publishes nothing, which is why the workload is built of episodes that do.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    scoring,
    pipeline,
  };
  writeResults('score', report);
  console.log(`\nwritten: bench/results/score.json (${report.meta.wallSeconds}s in all)`);
}

if (process.env[BENCH_ENV_VAR] && typeof process.send === 'function') {
  serveScoreWorker();
} else {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(`score benchmark failed: ${(err as Error).stack ?? String(err)}`);
      void Promise.all(cleanups.map((c) => c().catch(() => undefined))).finally(() => process.exit(1));
    },
  );
}
