// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { setMaxListeners } from 'node:events';

import { loadConfig } from '../subgraphs/common/config';
import { createLogger } from '../subgraphs/common/logger';
import { initOrm } from '../subgraphs/common/orm';
import { assertRedisReachable, createProducerRedis, redisReady } from '../subgraphs/common/redis';
import { Shutdown } from '../subgraphs/common/shutdown';
import { createGateway } from './create-gateway';
import { GATEWAY_ORM, KeyStore } from './keys/key-store';

/** Gateway process entry: key store, gateway, and a dev admin key on the very first start. */
async function main(): Promise<void> {
  // the runtime's fetch hangs every in-flight subgraph call on one shared AbortSignal; under load
  // that passes Node's default of 10 listeners and prints a (harmless) leak warning
  setMaxListeners(1000);
  const config = loadConfig();
  await assertRedisReachable(config.redisUrl);
  const log = createLogger('gateway', config.logLevel);
  const shutdown = new Shutdown(log);
  shutdown.installSignalHandlers();
  const orm = await initOrm(config, GATEWAY_ORM, shutdown);
  const keys = new KeyStore(orm, config.secret);
  // rate limits and the auth throttle answer requests: a hung Redis must not hold them (producer connection)
  const redis = createProducerRedis(config.redisUrl, config.redisCommandTimeoutMs, shutdown, 'foresight-gateway');
  await redisReady(redis);
  const gateway = await createGateway({ config, log, shutdown, keys, redis });

  if (config.devAdminKey && (await keys.count()) === 0) {
    const created = await keys.create('dev', ['admin'], 'created on first start');
    process.stdout.write(
      `\nFirst start: created tenant "dev" with an admin API key (shown once, stored only as a hash):\n\n    ${created.key}\n\n` +
        `Try: curl -s ${gateway.url} -H 'authorization: Bearer ${created.key}' -H 'content-type: application/json' -d '{"query":"{ alerts { id } }"}'\n\n`,
    );
  }
  process.stdout.write(`gateway ready: ${gateway.url} (HTTP) · ${gateway.wsUrl} (graphql-ws) · /healthz · /readyz\n`);
}

main().catch((err: unknown) => {
  console.error(`gateway: ${(err as Error).message}`);
  process.exit(1);
});
