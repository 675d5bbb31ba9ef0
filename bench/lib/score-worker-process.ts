// Child process of the scoring benchmark (bench/score.bench.ts): the risk subgraph without its
// workers and, per measured run, one BullMQ worker on the `score-profile` queue with the real
// processor or a no-op one (the baseline), so both pay the same BullMQ cost in the same process.
import 'reflect-metadata';

import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { SCORE_PROFILE, workerOptions } from '../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../subgraphs/common/run-subgraph';
import { riskSubgraph } from '../../subgraphs/risk';
import { scoreProfile, type ScoreProfileJob } from '../../subgraphs/risk/workers/score-profile.worker';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';

/** `real`: the production `scoreProfile`; `noop`: a processor that returns at once (BullMQ's own cost). */
export type ScoreWorkerMode = 'real' | 'noop';

/** One measured run: a worker started on the queue the parent has filled. */
export interface DrainRequest {
  mode: ScoreWorkerMode;
  concurrency: number;
  /** Jobs waiting in the queue: the run ends when this many have completed or failed for good. */
  jobs: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
}

/** What one run did. */
export interface DrainOutcome {
  /** worker.run() → last completion, ms. */
  ms: number;
  completed: number;
  failed: number;
  firstError: string | null;
  timedOut: boolean;
  /** riskChanged publications by the real processor (score rows that were news). */
  published: number;
}

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
