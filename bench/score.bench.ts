// Risk scoring benchmark, SQLite. `npm run bench:score`. Prints a table and writes
// bench/results/score.json. (The event → riskChanged pipeline part that used to live here is now
// `npm run bench:pipeline`, bench/pipeline.bench.ts.)
//
// N profiles (BENCH_SCORE_PROFILES, default 1000: a real pass costs ~10 ms of CPU a profile on a
// 2-core box, and there are eight passes) with 120–160 days of history (~55 events: identify,
// `Feature Used`, `Order Completed` with revenue, `Subscription Cancelled` for the churners;
// friction signals) inserted straight into risk's own tables (`ActivityEvent`, `ActivitySignal`,
// em.insertMany). For each concurrency (BENCH_SCORE_CONCURRENCY, default `1,10,100`) the
// `score-profile` queue is filled with one job per profile, then a BullMQ Worker is started on it
// and timed until the last job completes: the real processor (`scoreProfile`, as the risk
// subgraph's worker calls it) and a no-op processor (the baseline: BullMQ's own cost per job), same
// queue, same jobs, same concurrency, same worker options, same process (a child running the risk
// subgraph with `workers: false`, bench/lib/score-worker-process.ts). Done with the cold-start
// prior, then with an activated churn model trained on the same tenant (ModelService.requestTraining
// + trainModel + activate). Before each model's measured runs, a pass scores every profile once (the
// first score of a profile, or the first with a new model, inserts a row and publishes
// `riskChanged`; re-scores mostly do not), so the measured runs are steady-state re-scores; those
// passes are shown but not in the ratios.
//
// Other knobs: BENCH_CPU_PROF (a folder: a CPU profile of the worker process over the real, prior,
// concurrency-10 run, summarized in the output).
import 'reflect-metadata';

import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import { createLogger } from '../subgraphs/common/logger';
import { initOrm } from '../subgraphs/common/orm';
import { Queues, SCORE_PROFILE } from '../subgraphs/common/queues';
import { createRedis } from '../subgraphs/common/redis';
import { Shutdown } from '../subgraphs/common/shutdown';
import { forkAcrossTenants, forkForTenant } from '../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../subgraphs/risk';
import { ActivityEvent } from '../subgraphs/risk/entities/activity-event.entity';
import { ActivitySignal } from '../subgraphs/risk/entities/activity-signal.entity';
import { ModelKind, ModelStatus } from '../subgraphs/risk/entities/model-version.entity';
import { RiskScore } from '../subgraphs/risk/entities/risk-score.entity';
import { ModelService } from '../subgraphs/risk/services/model.service';
import { trainModel } from '../subgraphs/risk/workers/train-model.worker';
import { createBenchEnv } from './lib/bench-env';
import { runBench, type Cleanup } from './lib/bench-main';
import { Child, type CpuSnapshot } from './lib/child';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile';
import { cpuMs, intEnv, listEnv, machineMeta, packageVersion, round2, say, table, writeResults } from './lib/report';
import type { DrainOutcome, DrainRequest, ScoreWorkerMode } from './lib/score-worker-process';
import { round1 } from './lib/stats';
import { CHURN_SETTINGS, simulateTenant } from './lib/tenant-simulation';

const PROFILES = intEnv('BENCH_SCORE_PROFILES', 1000);
const CONCURRENCIES = listEnv('BENCH_SCORE_CONCURRENCY', [1, 10, 100]);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : '';
const TENANT = 'bench';
const TARGET_RATIO = 0.8;

type Mode = ScoreWorkerMode;
type ModelLabel = 'prior' | 'trained churn model';

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
    const tenant = simulateTenant(TENANT, PROFILES, Date.now());
    for (let i = 0; i < tenant.events.length; i += 2000) {
      const em = forkAcrossTenants(orm);
      await em.insertMany(ActivityEvent, tenant.events.slice(i, i + 2000).map((e) => em.create(ActivityEvent, e as ActivityEvent)));
    }
    for (let i = 0; i < tenant.signals.length; i += 2000) {
      const em = forkAcrossTenants(orm);
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

    child = await Child.start('score-worker-process', 'score worker', env.vars);
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
      const requested = await new ModelService(forkForTenant(orm, TENANT), TENANT, queues).requestTraining(ModelKind.CHURN, CHURN_SETTINGS);
      const trained = await trainModel({ id: requested.id, data: { tenantId: TENANT, modelId: requested.id } }, { orm, log });
      let activated = false;
      if (trained.status === ModelStatus.READY) {
        activated = (await new ModelService(forkForTenant(orm, TENANT), TENANT, queues).activate(trained.id, 1)).active;
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
    const riskScoreRows = await forkAcrossTenants(orm).count(RiskScore, { tenantId: TENANT });
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


/** Teardown of the run in progress, for Ctrl-C. */
const cleanups: Cleanup[] = [];

function printProfile(p: ProfileSummary): void {
  console.log('');
  console.log(`CPU profile of the worker process, real scoring (prior), concurrency 10 (${p.totalMs} ms sampled, ${p.idlePercent}% idle): ${p.file}`);
  console.log(`  self time by package/file: ${p.byPackage.slice(0, 10).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
  console.log(`  self time by function:     ${p.selfByFunction.slice(0, 8).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
  console.log(`  inclusive by function:     ${p.inclusiveByFunction.slice(0, 12).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
}

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


async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  if (CPU_PROF_DIR) mkdirSync(CPU_PROF_DIR, { recursive: true });
  say(`score benchmark: SQLite; scoring ${PROFILES} profiles at concurrency ${CONCURRENCIES.join(', ')}`);
  const scoring = await scoringPart();
  const loadAtEnd = loadavg()[0];

  console.log('');
  console.log(`Risk scoring benchmark: SQLite; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  printScoring(scoring);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      database: 'sqlite',
      profiles: PROFILES,
      concurrencies: CONCURRENCIES,
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3'].map((p) => [p, packageVersion(p)])),
      targets: { scoringRatio: TARGET_RATIO },
      workload: {
        scoring:
          'one synthetic subscription tenant ending now: identify + Feature Used/Report Exported/Screen Viewed + 12% Order Completed with revenue over 120–160 days; ' +
          '30% cancel (Subscription Cancelled, fading out, 1–3 retry_loop/support_burst signals before); 20% of the rest one retry_loop signal',
      },
      notes: [
        'scoring: the queue is filled (addBulk of 1000) before the worker starts; profiles/s = jobs ÷ (worker.run() → last completion) in the worker process; ' +
          'the worker has production options (workerOptions) and runs in a child process with the risk subgraph (runSubgraph, workers: false).',
        'scoring baseline: a no-op processor on the same queue, same jobs, same concurrency, same process; ratio = real ÷ no-op at the same concurrency, re-score passes only.',
        'first-score passes (not in the ratios) make every later pass a re-score: the first score of a profile, or the first with a new model, also publishes riskChanged and queues raise-alerts/set-computed-traits on a bucket crossing.',
        'the event → riskChanged pipeline measurement moved to bench:pipeline (bench/results/pipeline.json).',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    scoring,
  };
  writeResults('score', report);
  console.log(`\nwritten: bench/results/score.json (${report.meta.wallSeconds}s in all)`);
}

runBench('score benchmark', cleanups, main);
