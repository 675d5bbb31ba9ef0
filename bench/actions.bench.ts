// Action queue benchmark (issue #12): playbook steps/s through the `playbook-step` worker and how
// late its delayed steps (waits) start, against a no-op BullMQ worker with the same jobs, chains
// and delays in the same run. `npm run bench:actions`; knobs: BENCH_ACTIONS_PROFILES (runs of the
// drain, default 1000), BENCH_ACTIONS_RATE (enrolments/s of the paced part, default 50),
// BENCH_ACTIONS_SECONDS (its length, default 10), BENCH_ACTIONS_CONCURRENCY (default 8, the
// production worker's), BENCH_ACTIONS_WAIT_SECONDS (longest wait for a part to finish, default
// 120), BENCH_DB (`sqlite`, the default, `postgres` or `both`), BENCH_PG_ADMIN_URL. Prints a table
// and writes bench/results/actions.json.
//
// Workload: one tenant (global control 0, every playbook holdout 0: every customer is treated)
// with four playbooks of two cheap, local steps each: `now` = a branch on the `tier` trait, then a
// createTask (high priority for gold customers), and `wait-1s`, `wait-2s`, `wait-3s` = a wait of
// that many seconds (playbook waits are whole seconds), then a createTask. Customers are enrolled
// set-based in the worker's process (SQLite has one writer process), as an alert batch enrols them
// (PlaybookRunService.enrol in one transaction per batch, then queuePlaybookSteps: the runs in SQL,
// their first steps as jobs, a wait as a delayed job).
// - drain: PROFILES customers enrolled in `now` before the worker starts; steps/s = steps ÷
//   (worker.run() → last completion), measured in the worker process.
// - paced: RATE customers/s for SECONDS s in 100 ms ticks, every other one in `now`, the rest in
//   `wait-1s`/`2s`/`3s` in turn; lateness of a delayed step = when it started − when it was due:
//   for the jobs, processor start − (added + delay) in the worker process (both workers); for the
//   steps, from SQL: the wait's entry in the run's history − (run created + the wait), which also
//   counts the time between the enrolment's clock reading and the job's add.
// Baseline: a plain queue beside `playbook-step` (same Redis and prefix, same queue and worker
// options, same concurrency, same child process) whose no-op processor only queues the job's
// follow-up the way the step runner queues a run's next step (one addBulk, id `<run>-<step>-<visit>`,
// removeOnComplete); its jobs mirror the runs' steps with the same delays and the same pacing.
import 'reflect-metadata';

import { cpus, loadavg } from 'node:os';

import { uuidv7 } from 'uuidv7';

import { actionsSubgraph } from '../subgraphs/actions';
import type { PlaybookDraft } from '../subgraphs/actions/domain/validate-playbook';
import { PlaybookRun } from '../subgraphs/actions/entities/playbook-run.entity';
import { Task } from '../subgraphs/actions/entities/task.entity';
import { MeasurementSettingsService } from '../subgraphs/actions/services/measurement-settings.service';
import { PlaybookService } from '../subgraphs/actions/services/playbook.service';
import { PLAYBOOK_STEP_CONCURRENCY } from '../subgraphs/actions/workers/playbook-step.worker';
import { initOrm, type Orm } from '../subgraphs/common/orm';
import { Shutdown } from '../subgraphs/common/shutdown';
import { forkForTenant } from '../subgraphs/common/tenant-filter';
import type { ActionWorkerMode, BeginRequest, EnqueueRequest, RunOutcome } from './lib/action-worker-process';
import { benchDatabases, createBenchEnv, type BenchDatabase, type BenchEnv } from './lib/bench-env';
import { runBench, type Cleanup } from './lib/bench-main';
import { Child } from './lib/child';
import { cpuMs, intEnv, machineMeta, packageVersion, round2, say, table, writeResults } from './lib/report';
import { fmt, round1, sleep, stats, type Stats } from './lib/stats';

const PROFILES = intEnv('BENCH_ACTIONS_PROFILES', 1000);
const RATE = intEnv('BENCH_ACTIONS_RATE', 50);
const SECONDS = intEnv('BENCH_ACTIONS_SECONDS', 10);
const CONCURRENCY = intEnv('BENCH_ACTIONS_CONCURRENCY', PLAYBOOK_STEP_CONCURRENCY);
const WAIT_SECONDS = intEnv('BENCH_ACTIONS_WAIT_SECONDS', 120);
const DATABASES = benchDatabases(process.env.BENCH_DB ?? 'sqlite');
const TENANT = 'bench-actions';
/** The waits of the delayed half, seconds, in turn. */
const DELAYS = [1, 2, 3];
const STEPS_PER_RUN = 2;
const TICK_MS = 100;
const BATCH = 500;

type Mode = ActionWorkerMode;

/** One customer to enrol: the wait before its first step's follow-up (0: none) and its tier. */
interface Planned {
  profileId: string;
  delaySeconds: number;
  gold: boolean;
}

/** `count` customers; `mixed`: every other one waits DELAYS[0], DELAYS[1], … in turn. */
function plan(count: number, mixed: boolean): Planned[] {
  return Array.from({ length: count }, (_, i) => ({
    profileId: uuidv7(),
    delaySeconds: mixed && i % 2 === 1 ? DELAYS[((i - 1) / 2) % DELAYS.length] : 0,
    gold: i % 4 === 0,
  }));
}

const CALL = { type: 'createTask', team: 'cs', title: 'Call {{profile.id}}', dueInSeconds: 86_400, next: null } as const;

function playbookDraft(delaySeconds: number): PlaybookDraft {
  const measured = { holdoutFraction: 0, exitWhenRiskLow: false };
  if (delaySeconds === 0) {
    return {
      name: 'bench now',
      ...measured,
      steps: [
        { id: 'check', type: 'branch', arms: [{ when: [{ field: 'profile.traits.tier', op: 'eq', value: 'gold' }], next: 'call_now' }], otherwise: 'call' },
        { id: 'call_now', ...CALL, priority: 'high' },
        { id: 'call', ...CALL, priority: 'normal' },
      ],
    };
  }
  return { name: `bench wait ${delaySeconds}s`, ...measured, steps: [{ id: 'pause', type: 'wait', seconds: delaySeconds, next: 'call' }, { id: 'call', ...CALL, priority: 'normal' }] };
}

/** Result of one part (drain or paced) for one worker. */
interface PartResult {
  mode: Mode;
  part: 'drain' | 'paced';
  runs: number;
  steps: number;
  completed: number;
  failed: number;
  firstError: string | null;
  timedOut: boolean;
  seconds: number;
  stepsPerSecond: number;
  /** CPU (user + system) of the worker process per step, ms. */
  workerCpuMsPerStep: number;
  /** Paced part: customers enrolled (or jobs chains added) per second, as achieved. */
  achievedRate: number | null;
  /** Paced part: delayed jobs, processor start − (added + delay), ms. */
  jobLateness: Stats | null;
  /** Paced part, real worker: delayed steps, taken (run history) − due (run created + wait), ms. */
  stepLateness: Stats | null;
  /** Real worker: runs by status after the part, and tasks created (one per run expected). */
  runStatuses: Record<string, number> | null;
  tasks: number | null;
}

interface DatabaseRun {
  database: BenchDatabase;
  databaseLabel: string;
  parts: PartResult[];
}

/** The parent's side of one database: ORM and queues to enrol and fill, the worker child. */
class Harness {
  readonly playbookOf = new Map<number, string>();
  readonly delayOf = new Map<string, number>();

  private constructor(
    readonly env: BenchEnv,
    readonly orm: Orm,
    readonly child: Child,
    readonly shutdown: Shutdown,
  ) {}

  static async open(env: BenchEnv, shutdown: Shutdown): Promise<Harness> {
    const orm = await initOrm(env.config, actionsSubgraph.orm, shutdown);
    const child = await Child.start('action-worker-process', 'action worker', env.vars);
    shutdown.defer(() => child.stop());
    await child.call('start');
    const h = new Harness(env, orm, child, shutdown);
    await h.setUpTenant();
    return h;
  }

  /** Measurement settings that treat everyone (global control 0, holdout 0), and the four playbooks. */
  private async setUpTenant(): Promise<void> {
    const em = forkForTenant(this.orm, TENANT);
    await new MeasurementSettingsService(em, TENANT).update({ globalControlFraction: 0 });
    for (const delay of [0, ...DELAYS]) {
      const version = await new PlaybookService(forkForTenant(this.orm, TENANT), TENANT).create(playbookDraft(delay));
      this.playbookOf.set(delay, version.playbookId);
      this.delayOf.set(version.playbookId, delay);
    }
  }

  async fill(mode: Mode, planned: readonly Planned[], tag: string): Promise<void> {
    for (let i = 0; i < planned.length; i += BATCH) {
      const batch = planned.slice(i, i + BATCH);
      const customers = batch.map((p) => ({ ...p, playbookId: this.playbookOf.get(p.delaySeconds)! }));
      await this.child.call('enqueue', { mode, tenantId: TENANT, tag, customers } satisfies EnqueueRequest);
    }
  }

  /** Runs by status and the tasks of the runs enrolled under `tag`; the step lateness of the delayed ones. */
  async sqlFacts(tag: string): Promise<{ statuses: Record<string, number>; tasks: number; lateness: number[] }> {
    const em = forkForTenant(this.orm, TENANT);
    const runs = await em.find(PlaybookRun, { tenantId: TENANT, enrolledBy: tag }, { disableIdentityMap: true });
    const statuses: Record<string, number> = {};
    const lateness: number[] = [];
    for (const run of runs) {
      statuses[run.status] = (statuses[run.status] ?? 0) + 1;
      const delay = this.delayOf.get(run.playbookId) ?? 0;
      const waited = delay ? run.history.find((h) => h.stepId === 'pause') : undefined;
      if (waited) lateness.push(Date.parse(waited.at) - (run.createdAt.getTime() + delay * 1000));
    }
    let tasks = 0;
    const ids = runs.map((r) => r.id);
    for (let i = 0; i < ids.length; i += BATCH) tasks += await em.count(Task, { tenantId: TENANT, runId: { $in: ids.slice(i, i + BATCH) } });
    return { statuses, tasks, lateness };
  }
}

function partResult(mode: Mode, part: PartResult['part'], runs: number, out: RunOutcome, seconds: number, cpu: number): PartResult {
  return {
    mode,
    part,
    runs,
    steps: runs * STEPS_PER_RUN,
    completed: out.completed,
    failed: out.failed,
    firstError: out.firstError,
    timedOut: out.timedOut,
    seconds: round2(seconds),
    stepsPerSecond: round1(out.completed / seconds),
    workerCpuMsPerStep: round2(cpu / Math.max(1, out.completed + out.failed)),
    achievedRate: null,
    jobLateness: null,
    stepLateness: null,
    runStatuses: null,
    tasks: null,
  };
}

function describe(r: PartResult): string {
  const late = (s: Stats | null, what: string) => (s ? `, ${what} lateness p50/p99 ${fmt(s.p50)}/${fmt(s.p99)} ms (n=${s.n})` : '');
  return (
    `  ${r.part} (${r.mode === 'noop' ? 'no-op' : 'playbook-step'}): ${r.completed}/${r.steps} steps in ${r.seconds}s = ${r.stepsPerSecond} steps/s, worker CPU ${r.workerCpuMsPerStep} ms/step` +
    `${late(r.jobLateness, 'job')}${late(r.stepLateness, 'step')}${r.failed ? `, ${r.failed} FAILED (${(r.firstError ?? '').split('\n')[0]})` : ''}${r.timedOut ? ', TIMED OUT' : ''}`
  );
}

async function begin(h: Harness, mode: Mode, jobs: number): Promise<void> {
  await h.child.call('begin', { mode, concurrency: CONCURRENCY, jobs, timeoutMs: WAIT_SECONDS * 1000 } satisfies BeginRequest);
}

/** Every run enrolled first, then the worker started and timed until the last step. */
async function drain(h: Harness, mode: Mode): Promise<PartResult> {
  const tag = `bench:drain:${mode}`;
  const planned = plan(PROFILES, false);
  await h.fill(mode, planned, tag);
  const before = await h.child.cpu();
  await begin(h, mode, planned.length * STEPS_PER_RUN);
  const out = await h.child.call<RunOutcome>('end');
  const r = partResult(mode, 'drain', planned.length, out, out.ms / 1000, cpuMs(before, await h.child.cpu()));
  if (mode === 'real') {
    const facts = await h.sqlFacts(tag);
    r.runStatuses = facts.statuses;
    r.tasks = facts.tasks;
  }
  say(describe(r));
  return r;
}

/** The worker running, customers enrolled at RATE/s in ticks; timed from the first enrolment to the last step. */
async function paced(h: Harness, mode: Mode): Promise<PartResult> {
  const tag = `bench:paced:${mode}`;
  const planned = plan(RATE * SECONDS, true);
  await begin(h, mode, planned.length * STEPS_PER_RUN);
  const before = await h.child.cpu();
  const perTick = (RATE * TICK_MS) / 1000;
  const t0 = Date.now();
  const started = performance.now();
  let sent = 0;
  let carry = 0;
  for (let tick = 0; sent < planned.length; tick++) {
    carry += perTick;
    const n = Math.min(planned.length - sent, Math.floor(carry));
    carry -= n;
    const batch = planned.slice(sent, sent + n);
    if (batch.length) await h.fill(mode, batch, tag);
    sent += batch.length;
    const wait = started + (tick + 1) * TICK_MS - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const sendSeconds = (performance.now() - started) / 1000;
  const out = await h.child.call<RunOutcome>('end');
  const r = partResult(mode, 'paced', planned.length, out, (out.lastCompletedAt - t0) / 1000, cpuMs(before, await h.child.cpu()));
  r.achievedRate = round1(planned.length / sendSeconds);
  r.jobLateness = stats(out.lateness);
  if (mode === 'real') {
    const facts = await h.sqlFacts(tag);
    r.runStatuses = facts.statuses;
    r.tasks = facts.tasks;
    r.stepLateness = stats(facts.lateness);
  }
  say(describe(r));
  return r;
}

async function runDatabase(database: BenchDatabase): Promise<DatabaseRun> {
  const env = await createBenchEnv({ postgres: database === 'postgres', vars: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' } });
  const shutdown = new Shutdown();
  const teardown: Cleanup = async () => {
    await shutdown.run();
    await env.cleanup();
  };
  cleanups.push(teardown);
  try {
    say(`${env.database}: setting up the tenant and the worker process…`);
    const h = await Harness.open(env, shutdown);
    const parts: PartResult[] = [];
    say(`${env.database}: drain, ${PROFILES} runs × ${STEPS_PER_RUN} steps, concurrency ${CONCURRENCY}`);
    for (const mode of ['noop', 'real'] as const) parts.push(await drain(h, mode));
    say(`${env.database}: paced, ${RATE} customers/s for ${SECONDS}s, half of them waiting ${DELAYS.join('/')} s`);
    for (const mode of ['noop', 'real'] as const) parts.push(await paced(h, mode));
    return { database, databaseLabel: env.database, parts };
  } finally {
    await teardown();
    cleanups.pop();
  }
}

function print(run: DatabaseRun): void {
  const part = (mode: Mode, p: PartResult['part']) => run.parts.find((r) => r.mode === mode && r.part === p)!;
  const rows = [
    ['worker', 'drain steps/s', 'CPU ms/step', 'paced steps/s', 'delayed', 'job late p50 ms', 'p99 ms', 'step late p50 ms', 'p99 ms', 'failed'],
    ...(['noop', 'real'] as const).map((m) => {
      const d = part(m, 'drain');
      const p = part(m, 'paced');
      return [
        m === 'noop' ? 'no-op BullMQ worker (baseline)' : 'playbook-step worker',
        d.stepsPerSecond.toFixed(0),
        d.workerCpuMsPerStep.toFixed(2),
        p.stepsPerSecond.toFixed(1),
        String(p.jobLateness?.n ?? 0),
        fmt(p.jobLateness?.p50 ?? NaN),
        fmt(p.jobLateness?.p99 ?? NaN),
        fmt(p.stepLateness?.p50 ?? NaN),
        fmt(p.stepLateness?.p99 ?? NaN),
        String(d.failed + p.failed),
      ];
    }),
  ];
  const real = part('real', 'drain');
  const noop = part('noop', 'drain');
  const pr = part('real', 'paced');
  console.log('');
  console.log(`${run.databaseLabel}:`);
  console.log(table(rows));
  console.log(
    `playbook-step / no-op drain: ${round2(real.stepsPerSecond / noop.stepsPerSecond)}×; paced enrolments ${pr.achievedRate}/s (target ${RATE}); ` +
      `runs ${JSON.stringify(real.runStatuses)} (drain), ${JSON.stringify(pr.runStatuses)} (paced); tasks ${real.tasks} + ${pr.tasks} for ${real.runs} + ${pr.runs} runs` +
      `${[real, noop, pr, part('noop', 'paced')].some((r) => r.timedOut) ? '; a part TIMED OUT' : ''}.`,
  );
}

/** Teardown of the run in progress, for Ctrl-C. */
const cleanups: Cleanup[] = [];

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  say(`actions benchmark: ${DATABASES.join(' then ')}; drain ${PROFILES} runs, paced ${RATE} customers/s for ${SECONDS}s; concurrency ${CONCURRENCY}`);
  const runs: DatabaseRun[] = [];
  for (const database of DATABASES) runs.push(await runDatabase(database));
  const loadAtEnd = loadavg()[0];

  console.log('');
  console.log(
    `Action queue benchmark: playbook steps through the playbook-step worker against a no-op BullMQ worker with the same jobs and delays, worker concurrency ${CONCURRENCY}, ` +
      `both in one child process beside the actions subgraph; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}. Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`,
  );
  console.log('drain: runs enrolled before the worker starts; paced: half the customers wait 1–3 s before their second step; lateness of those waits = start − due (job: BullMQ timestamps; step: the run in SQL).');
  for (const run of runs) print(run);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      databases: DATABASES,
      drainRuns: PROFILES,
      pacedRate: RATE,
      pacedSeconds: SECONDS,
      delaysSeconds: DELAYS,
      concurrency: CONCURRENCY,
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3', 'pg'].map((p) => [p, packageVersion(p)])),
      workload:
        'one tenant, global control 0, holdout 0; playbooks of two steps: `now` = branch on traits.tier, then createTask (high for gold); `wait-Ns` = wait N s, then createTask. ' +
        'drain: every run in `now`; paced: every other customer in `now`, the others in wait-1s/2s/3s in turn; enrolment set-based (PlaybookRunService.enrol per batch, then queuePlaybookSteps).',
      notes: [
        'drain: steps/s = steps ÷ (worker.run() → last completion), in the worker process; the runs are enrolled (batches of 500) before the worker starts.',
        'paced: customers enrolled in 100 ms ticks while the worker runs; steps/s = steps ÷ (first enrolment → last completion), so it is bounded by the rate and the 3 s waits.',
        'job lateness: processor start − (job added + its delay), delayed jobs only, both workers; step lateness: the wait’s entry in the run history − (run created + the wait), playbook-step only, which also counts the time between the enrolment’s clock reading and the add of the job.',
        'baseline: a plain BullMQ queue beside playbook-step (same Redis and prefix, same queue and worker options, same concurrency, same child process); its no-op processor queues the follow-up step as the step runner does (addBulk, id <run>-<step>-<visit>, removeOnComplete).',
        'createTask steps also queue their escalation (a delayed escalate-task job, not run here) and publish taskAssigned, as in production.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    runs,
  };
  const file = writeResults('actions', report);
  console.log(`\nwritten: ${file} (${report.meta.wallSeconds}s in all)`);
}

runBench('actions benchmark', cleanups, main);
