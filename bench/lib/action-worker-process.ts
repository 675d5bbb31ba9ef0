// Child process of the action queue benchmark (bench/actions.bench.ts): the actions subgraph
// without its workers and, per measured run, one BullMQ worker with production options: the real
// `playbook-step` processor (runPlaybookStep with the production collaborators, as
// startPlaybookStepWorker wires it) or the baseline, a no-op processor on a plain queue of its own
// (same Redis, same prefix, same queue and worker options, same concurrency, same process) that
// only queues its job's follow-up the way the step runner queues a run's next step. Both record,
// for every delayed job, how late it started: processor start − (added + delay).
import 'reflect-metadata';

import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';

import { uuidv7 } from 'uuidv7';

import { createActionsSubgraph } from '../../subgraphs/actions';
import { PlaybookRunService } from '../../subgraphs/actions/services/playbook-runs.service';
import { queuePlaybookSteps } from '../../subgraphs/actions/services/queue-playbook-steps';
import { defaultPlaybookCollaborators } from '../../subgraphs/actions/services/playbook-collaborators';
import { runPlaybookStep } from '../../subgraphs/actions/workers/playbook-step.worker';
import { PLAYBOOK_STEP, queueOptions, workerOptions, type PlaybookStepJob } from '../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';
import { NOOP_STEP, noopStep, type NoopStepJob } from './noop-step';

/** `real`: the production step runner on `playbook-step`; `noop`: the baseline on NOOP_STEP. */
export type ActionWorkerMode = 'real' | 'noop';

/** One measured run: a worker started on demand, ended once `jobs` jobs have completed. */
export interface BeginRequest {
  mode: ActionWorkerMode;
  concurrency: number;
  /** Jobs the run takes in all (follow-ups included): it ends when this many have completed or failed for good. */
  jobs: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
}

/** Customers to enrol (real) or the baseline's first jobs for them (noop), in this process: SQLite has one writer process. */
export interface EnqueueRequest {
  mode: ActionWorkerMode;
  tenantId: string;
  tag: string;
  customers: { profileId: string; playbookId: string; delaySeconds: number; gold: boolean }[];
}

/** What one run did. */
export interface RunOutcome {
  /** worker.run() → last completion, ms. */
  ms: number;
  /** Wall clock (epoch ms) of the last completion, to time a run against the parent's clock. */
  lastCompletedAt: number;
  completed: number;
  failed: number;
  firstError: string | null;
  timedOut: boolean;
  /** Delayed jobs: processor start − (added + delay), ms, one per job (its last start). */
  lateness: number[];
}

const config = benchConfigFromParent();
let actions: RunningSubgraph | null = null;
let noopProducer: Queue<NoopStepJob> | null = null;
let current: { worker: Worker; running: Promise<void>; finished: Promise<RunOutcome> } | null = null;

serveParent({
  async start() {
    if (actions) throw new Error('already started');
    actions = await runSubgraph(createActionsSubgraph(), config, { port: 0, workers: false });
    return actions.url;
  },
  async begin(arg) {
    if (!actions) throw new Error('begin before start');
    if (current) throw new Error('a run is already going');
    const { mode, concurrency, jobs, timeoutMs } = arg as BeginRequest;
    const deps = actions.deps;
    const collaborators = defaultPlaybookCollaborators(deps);
    const noopQueue: Queue<NoopStepJob> = new Queue<NoopStepJob>(NOOP_STEP, queueOptions(deps.redis, config.queuePrefix));
    const lateness = new Map<string, number>();
    const timed = <T extends { id?: string; timestamp: number; opts: { delay?: number } }>(job: T) => {
      const delay = job.opts.delay ?? 0;
      if (delay > 0 && job.id) lateness.set(job.id, Date.now() - (job.timestamp + delay));
    };
    const processor =
      mode === 'real'
        ? async (job: Job<PlaybookStepJob>, token?: string) => {
            timed(job);
            await runPlaybookStep(job, deps, collaborators, token);
          }
        : async (job: Job<NoopStepJob>) => {
            timed(job);
            await noopStep(noopQueue, job);
          };
    // exactly the production worker's options (startPlaybookStepWorker), but started on demand
    const worker = new Worker(mode === 'real' ? PLAYBOOK_STEP : NOOP_STEP, processor as (job: Job) => Promise<void>, {
      ...workerOptions(deps.redis, config.queuePrefix, concurrency),
      autorun: false,
    });
    worker.on('error', (err) => deps.log.error({ err }, 'bench action worker error'));
    let completed = 0;
    let failed = 0;
    let firstError: string | null = null;
    let lastCompletedAt = Date.now();
    let lastAt = 0;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const done = new Promise<void>((resolveDone) => {
      const check = () => {
        lastAt = performance.now();
        lastCompletedAt = Date.now();
        if (completed + failed >= jobs) resolveDone();
      };
      worker.on('completed', () => {
        completed++;
        check();
      });
      worker.on('failed', (job, err) => {
        firstError ??= err.stack ?? String(err);
        // a failed try that will be retried is not the end of the job
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
    const running = worker.run();
    await worker.waitUntilReady();
    const finished = done.then(async (): Promise<RunOutcome> => {
      clearTimeout(timer);
      await worker.close();
      await noopQueue.close();
      return {
        ms: (timedOut ? performance.now() : lastAt) - started,
        lastCompletedAt,
        completed,
        failed,
        firstError,
        timedOut,
        lateness: [...lateness.values()],
      };
    });
    current = { worker, running, finished };
    return true;
  },
  /** Enrols as an alert batch does (one transaction, then the first steps queued), or adds the baseline's mirror jobs. */
  async enqueue(arg) {
    if (!actions) throw new Error('enqueue before start');
    const { mode, tenantId, tag, customers } = arg as EnqueueRequest;
    const deps = actions.deps;
    if (mode === 'real') {
      const now = new Date();
      const enrolments = customers.map((c) => ({ playbookId: c.playbookId, profileId: c.profileId, enrolledBy: tag, traits: { tier: c.gold ? 'gold' : 'standard' } }));
      const { runs, steps } = await forkForTenant(deps.orm, tenantId).transactional((tx) => new PlaybookRunService(tx, tenantId, () => now).enrol(enrolments, now));
      if (runs.length !== customers.length) throw new Error(`enrolled ${runs.length} of ${customers.length} customers: is someone held out?`);
      await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
      return runs.length;
    }
    noopProducer ??= new Queue<NoopStepJob>(NOOP_STEP, queueOptions(deps.redis, config.queuePrefix));
    await noopProducer.addBulk(
      customers.map((c) => {
        const runId = uuidv7();
        const stepId = c.delaySeconds ? 'pause' : 'check';
        const then = c.delaySeconds || !c.gold ? 'call' : 'call_now';
        return { name: NOOP_STEP, data: { runId, stepId, visit: 1, then }, opts: { jobId: `${runId}-${stepId}-1`, delay: c.delaySeconds * 1000, removeOnComplete: true } };
      }),
    );
    return customers.length;
  },
  async end() {
    if (!current) throw new Error('end before begin');
    const outcome = await current.finished;
    await current.running;
    current = null;
    return outcome;
  },
  async stop() {
    if (current) await current.worker.close();
    current = null;
    await noopProducer?.close();
    noopProducer = null;
    await actions?.close();
    actions = null;
  },
});
