// Child process of bench/detect.bench.ts: one BullMQ worker on the `detect-friction` queue, either
// the real one (the detectors, SignalService.record with its SIGNAL_DETECTED publish and debounced
// score-profile job) or a no-op processor (the baseline: BullMQ's own cost per job), with the same
// concurrency, connection and queue options.
import 'reflect-metadata';

import { Worker } from 'bullmq';

import { createLogger } from '../../subgraphs/common/logger';
import { initOrm } from '../../subgraphs/common/orm';
import { createRedisPubSub } from '../../subgraphs/common/pubsub';
import { DETECT_FRICTION, Queues, workerOptions } from '../../subgraphs/common/queues';
import { createRedis } from '../../subgraphs/common/redis';
import { Shutdown } from '../../subgraphs/common/shutdown';
import { signalsSubgraph } from '../../subgraphs/signals';
import { detectFriction, type DetectFrictionJob } from '../../subgraphs/signals/workers/detect-friction.worker';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';

export interface StartDetectWorkerRequest {
  mode: 'real' | 'noop';
  /** Jobs run at once (the production default is 8). */
  concurrency: number;
}

const config = benchConfigFromParent();
let shutdown: Shutdown | null = null;

serveParent({
  async start(arg) {
    const { mode, concurrency } = arg as StartDetectWorkerRequest;
    if (shutdown) throw new Error('already started');
    shutdown = new Shutdown();
    const log = createLogger('bench-detect', config.logLevel);
    const orm = await initOrm(config, signalsSubgraph.orm, shutdown);
    const redis = createRedis(config.redisUrl, shutdown, 'bench-detect');
    const pubSub = await createRedisPubSub(config.redisUrl, config.queuePrefix, shutdown);
    const queues = new Queues(redis, config.queuePrefix);
    shutdown.defer(() => queues.close());
    const deps = { orm, redis, pubSub, queues, config, log };
    const worker = new Worker<DetectFrictionJob>(
      DETECT_FRICTION,
      mode === 'real' ? async (job) => void (await detectFriction(job, deps)) : async () => undefined,
      workerOptions(redis, config.queuePrefix, concurrency),
    );
    worker.on('error', (err) => log.error({ err }, 'bench detect worker error'));
    shutdown.defer(() => worker.close());
    await worker.waitUntilReady();
    return true;
  },
  async stop() {
    await shutdown?.run();
    shutdown = null;
  },
});
