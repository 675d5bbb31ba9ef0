// Child process of the benchmarks: one gateway under test (ours or the Apollo baseline; ingest.bench.ts uses ours),
// alone in its process so it has an event loop of its own, like in production.
import 'reflect-metadata';

import { setMaxListeners } from 'node:events';

import { createGateway } from '../../gateway/create-gateway';
import { GATEWAY_ORM, KeyStore } from '../../gateway/keys/key-store';
import { readSupergraph } from '../../gateway/supergraph-file';
import { createLogger } from '../../subgraphs/common/logger';
import { initOrm } from '../../subgraphs/common/orm';
import { createProducerRedis, redisReady } from '../../subgraphs/common/redis';
import { Shutdown } from '../../subgraphs/common/shutdown';
import { startApolloBaseline } from './apollo-baseline';
import { benchConfigFromParent } from './bench-env';
import { serveParent } from './child';

export type GatewayKind = 'ours' | 'apollo';

export interface StartGatewayRequest {
  kind: GatewayKind;
  subgraphUrls: Record<string, string>;
}

// @whatwg-node/node-fetch hangs every in-flight subgraph request on one shared AbortSignal, so more
// than 10 concurrent subgraph calls print MaxListenersExceededWarning (a warning, not a leak: each
// listener goes when its request ends). Raised for both gateways alike, to keep the output readable.
setMaxListeners(1000);

const config = benchConfigFromParent();
const shutdown = new Shutdown();

serveParent({
  async start(arg) {
    const { kind, subgraphUrls } = arg as StartGatewayRequest;
    const orm = await initOrm(config, GATEWAY_ORM, shutdown);
    const keys = new KeyStore(orm, config.secret);
    const supergraph = readSupergraph();
    if (kind === 'ours') {
      const log = createLogger('gateway', config.logLevel);
      const redis = createProducerRedis(config.redisUrl, config.redisCommandTimeoutMs, shutdown, 'foresight-gateway');
      await redisReady(redis);
      const gw = await createGateway({ config, log, shutdown, keys, redis }, { port: 0, supergraphSdl: supergraph, subgraphUrls });
      return gw.url;
    }
    const baseline = await startApolloBaseline(config, keys, supergraph, subgraphUrls);
    shutdown.defer(() => baseline.stop());
    return baseline.url;
  },

  async stop() {
    await shutdown.run();
  },
});
