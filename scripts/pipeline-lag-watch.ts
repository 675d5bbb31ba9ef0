import { MikroORM } from '@mikro-orm/core';

import type { Config } from '../subgraphs/common/config';
import { ormOptions, type Orm } from '../subgraphs/common/orm';
import { Queues } from '../subgraphs/common/queues';
import { createRedis } from '../subgraphs/common/redis';
import { Shutdown } from '../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../subgraphs/signals';
import { PipelineStatusService } from '../subgraphs/signals/services/pipeline-status.service';
import { formatPipelineLag, isFarBehind } from './pipeline-lag-line';

/** Between two looks at the pipeline, in ms: at most one line per minute. */
export const LAG_REPORT_EVERY_MS = 60_000;

/**
 * While the stack runs, looks at the pipeline once a minute (the same figures as
 * `pipelineStatus`, read straight from Redis and the signals database, every tenant) and prints
 * one line with each stage's lag when it is far behind. Opens the database without touching its
 * schema: the signals service, already up, owns it. Returns the function that stops it.
 */
export async function watchPipelineLag(config: Readonly<Config>, say: (line: string) => void): Promise<() => Promise<void>> {
  const shutdown = new Shutdown();
  const orm = (await MikroORM.init(ormOptions(config, signalsSubgraph.orm))) as unknown as Orm;
  shutdown.defer(() => orm.close(true));
  const redis = createRedis(config.redisUrl, shutdown, 'foresight-start-lag');
  const queues = new Queues(redis, config.queuePrefix);
  shutdown.defer(() => queues.close());
  let stopped = false;
  const look = async () => {
    try {
      const lag = await new PipelineStatusService(forkAcrossTenants(orm), { queues, redis, config }).status('all');
      if (!stopped && isFarBehind(lag)) say(formatPipelineLag(lag));
    } catch (err) {
      if (!stopped) say(`pipeline status unavailable: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => void look(), LAG_REPORT_EVERY_MS);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await shutdown.run();
  };
}
