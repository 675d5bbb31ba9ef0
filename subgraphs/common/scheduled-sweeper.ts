import { Worker, type Job, type Queue } from 'bullmq';

import { workerOptions, type JobPayloads, type QueueName } from './queues';
import type { SubgraphDeps } from './run-subgraph';

export interface ScheduledSweeper<N extends QueueName> {
  /** The queue the scheduler fills and the worker drains. */
  queue: N;
  /** Id of the one job scheduler; upserting it again replaces it, so every instance shares one schedule. */
  schedulerId: string;
  everyMs: number;
  /** One tick. Its result becomes the job's return value. */
  run(job: Job<JobPayloads[N], unknown, string>): Promise<unknown>;
}

/**
 * A self-healing periodic job: a BullMQ job scheduler repeats `queue` every `everyMs`, and one
 * worker at concurrency 1 runs the ticks. However many instances upsert the scheduler there is
 * one schedule, and concurrency 1 keeps two ticks of one instance from overlapping.
 *
 * The schedule lives in Redis, so Redis losing its data (a restart without persistence, a flush)
 * would stop a sweeper exactly when it is needed, until the process restarted. Each instance
 * therefore checks every `everyMs` that the scheduler exists, and upserts it again if not.
 */
export async function startScheduledSweeper<N extends QueueName>(deps: SubgraphDeps, sweeper: ScheduledSweeper<N>): Promise<Worker<JobPayloads[N], unknown, string>> {
  const { queue: name, schedulerId, everyMs, run } = sweeper;
  // a sweeper's queue carries no data: typed as a plain queue, its job name is any string
  const queue = deps.queues.get(name) as unknown as Queue;
  const schedule = () => queue.upsertJobScheduler(schedulerId, { every: everyMs }, { name, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  await schedule();
  const worker = new Worker<JobPayloads[N], unknown, string>(name, (job) => run(job), workerOptions(deps.redis, deps.config.queuePrefix, 1));
  worker.on('error', (err) => deps.log.error({ err }, `${name} worker error`));
  deps.shutdown.defer(() => worker.close());

  let checking = false;
  const watchdog = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      if (await queue.getJobScheduler(schedulerId)) return;
      await schedule();
      deps.log.warn(`${name} schedule was gone from Redis (data lost?): scheduled again`);
    })()
      .catch((err: unknown) => deps.log.error({ err }, `${name} schedule check failed`))
      .finally(() => (checking = false));
  }, everyMs);
  watchdog.unref();
  // registered after the worker, so it stops first
  deps.shutdown.defer(() => clearInterval(watchdog));
  return worker;
}
