import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';

import type { TenantContext } from './auth-context';
import { loadConfig, type Config } from './config';
import { guardMutationInputs } from './input-limits';
import { createLogger, type Logger } from './logger';
import { refuseMutationsWhileRedisDown } from './mutation-availability';
import { initOrm, type Orm, type OrmSpec } from './orm';
import { createRedisPubSub, type FsPubSub } from './pubsub';
import { Queues, setJobAttempts, setWorkerTiming } from './queues';
import { createProducerRedis, createRedis, redisReady } from './redis';
import type { RequestContext } from './request-context';
import { serveSubgraph, type RawHttpHandler, type ServedSubgraph } from './serve-subgraph';
import { Shutdown } from './shutdown';

/** Everything a subgraph's services and workers need, built once per process. */
export interface SubgraphDeps {
  config: Readonly<Config>;
  log: Logger;
  shutdown: Shutdown;
  orm: Orm;
  /**
   * Shared connection for queues (BullMQ needs `maxRetriesPerRequest: null`). Request contexts and
   * `httpHandler` get `apiDeps`, whose `redis` and `queues` fail fast instead (`createProducerRedis`).
   */
  redis: Redis;
  pubSub: FsPubSub;
  /** Producers for the typed queues in `queues.ts`. */
  queues: Queues;
}

/** How one subgraph plugs into the shared process wiring. */
export interface SubgraphDefinition<C extends RequestContext> {
  name: string;
  orm: OrmSpec;
  /** Only `pubSub` is used, so `npm run schema` can build it without Redis or a database. */
  buildSchema(deps: Pick<SubgraphDeps, 'pubSub'>): Promise<GraphQLSchema>;
  createContext(deps: SubgraphDeps, auth: TenantContext, requestId: string): C;
  /** Starts the subgraph's BullMQ workers (and job schedulers); each registers its own teardown. */
  startWorkers?(deps: SubgraphDeps): void | Promise<void>;
  /**
   * A plain node:http handler beside `/graphql` on the same server (e.g. the Segment API of
   * `signals`), tried before express on every request; what it returns false for goes on to
   * express. It gets no tenant check for free: it verifies the signed context itself.
   */
  httpHandler?(deps: SubgraphDeps): RawHttpHandler;
}

export interface RunningSubgraph extends ServedSubgraph {
  deps: SubgraphDeps;
  /** What API requests get: `deps` with a fail-fast Redis connection and its queues (`createProducerRedis`). */
  apiDeps: SubgraphDeps;
  close(): Promise<void>;
}

export interface RunOptions {
  /** Overrides the configured port (0 = any free port). */
  port?: number;
  /** Start the workers in this process too. Default true. */
  workers?: boolean;
}

/** Opens the ORM, Redis and pub/sub, serves the schema and starts the workers. */
export async function runSubgraph<C extends RequestContext>(
  def: SubgraphDefinition<C>,
  config: Readonly<Config>,
  opts: RunOptions = {},
): Promise<RunningSubgraph> {
  const log = createLogger(def.name, config.logLevel);
  const shutdown = new Shutdown(log);
  try {
    const redis = createRedis(config.redisUrl, shutdown, `foresight-${def.name}`);
    setWorkerTiming(redis, config.queues);
    setJobAttempts(redis, config.queues.jobAttempts);
    const pubSub = await createRedisPubSub(config.redisUrl, config.queuePrefix, shutdown);
    const orm = await initOrm(config, def.orm, shutdown);
    // acknowledgements a failed send holds for the next window (see AckBuffer)
    const queues = new Queues(redis, config.queuePrefix, false, config.queues.ackWindowMs, (err, buffer, acks) => log.warn({ err, buffer, acks }, 'held hand-offs not sent: held for the next window'));
    shutdown.defer(() => queues.close());
    const deps: SubgraphDeps = { config, log, shutdown, orm, redis, pubSub, queues };
    // API requests enqueue and check admission on a connection of their own that fails fast
    // while Redis is down (answered UNAVAILABLE / 503), where workers wait for it
    const apiRedis = createProducerRedis(config.redisUrl, config.redisCommandTimeoutMs, shutdown, `foresight-${def.name}-producer`);
    setJobAttempts(apiRedis, config.queues.jobAttempts);
    const apiQueues = new Queues(apiRedis, config.queuePrefix, true);
    shutdown.defer(() => apiQueues.close());
    const apiDeps: SubgraphDeps = { ...deps, redis: apiRedis, queues: apiQueues };
    await redisReady(apiRedis);
    // the string caps hold for every mutation, whatever its resolver validates itself
    const schema = refuseMutationsWhileRedisDown(guardMutationInputs(await def.buildSchema(deps), config.limits.inputStrings), apiRedis);
    if (opts.workers !== false) await def.startWorkers?.(deps);
    const served = await serveSubgraph({
      name: def.name,
      schema,
      host: config.host,
      port: opts.port ?? config.ports[def.name as keyof Config['ports']],
      secret: config.secret,
      contextTtlSeconds: config.contextTtlSeconds,
      maxBodyBytes: config.limits.subgraphBodyBytes,
      log,
      shutdown,
      createContext: (auth, requestId) => def.createContext(apiDeps, auth, requestId),
      handleRaw: def.httpHandler?.(apiDeps),
    });
    return { ...served, deps, apiDeps, close: () => shutdown.run() };
  } catch (err) {
    await shutdown.run();
    throw err;
  }
}

/** Process entry of one subgraph: run it, stop cleanly on SIGINT/SIGTERM, explain a failed start. */
export function runSubgraphMain<C extends RequestContext>(def: SubgraphDefinition<C>, config = loadConfig()): void {
  runSubgraph(def, config).then(
    (running) => running.deps.shutdown.installSignalHandlers(),
    (err: unknown) => {
      console.error(`${def.name}: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
