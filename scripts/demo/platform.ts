import { fork } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

import { createGateway } from '../../gateway/create-gateway';
import { GATEWAY_ORM, KeyStore } from '../../gateway/keys/key-store';
import { loadConfig, SUBGRAPH_NAMES, type SubgraphName } from '../../subgraphs/common/config';
import { createLogger } from '../../subgraphs/common/logger';
import { initOrm } from '../../subgraphs/common/orm';
import { createProducerRedis, redisReady } from '../../subgraphs/common/redis';
import { Shutdown } from '../../subgraphs/common/shutdown';

/** Foresight as the demo runs it: the gateway's base URL, a way to make API keys, and a stop. */
export interface DemoPlatform {
  /** e.g. `http://127.0.0.1:41234` */
  baseUrl: string;
  /** Creates an API key as `npm run keys -- create` does (stored hashed), and returns it. */
  createKey(tenant: string, scopes: string[], label: string): Promise<string>;
  stop(): Promise<void>;
}

/** A subgraph running in a process of its own, serving on `<NAME>_PORT` of the env it was given. */
export interface SubgraphChild {
  stop(): Promise<void>;
}

/** Starts one subgraph process with `env` and resolves once it serves. */
export type SubgraphLauncher = (name: SubgraphName, env: Record<string, string>) => Promise<SubgraphChild>;

/**
 * As `npm start` runs them: each subgraph (with its workers) from the build in `dist/`, in a
 * process of its own, so a long synchronous SQLite statement in one stage never stalls the others.
 */
export const launchBuiltSubgraph: SubgraphLauncher = async (name, env) => {
  const child = fork(join(__dirname, '..', '..', 'subgraphs', name, 'index.js'), [], { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // a demo stopped by Ctrl-C (or a crash) takes its services with it
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const port = env[`${name.toUpperCase()}_PORT`];
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${name} service exited (code ${child.exitCode}) while starting`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${name} service did not answer /healthz within 120 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/**
 * Starts the four subgraphs, each in its own process through `launch`, then the gateway in this
 * process, every one on a free port, configured by `env` (the embedded default: SQLite files under
 * DATA_DIR).
 */
export async function startPlatform(env: Record<string, string>, launch: SubgraphLauncher = launchBuiltSubgraph): Promise<DemoPlatform> {
  // the gateway's fetch hangs every in-flight subgraph call on one AbortSignal (see gateway/index.ts)
  setMaxListeners(1000);
  const ports: Record<string, string> = {};
  for (const name of SUBGRAPH_NAMES) ports[`${name.toUpperCase()}_PORT`] = String(await freePort());
  const fullEnv = { ...env, ...ports };
  const config = loadConfig(fullEnv);
  const shutdown = new Shutdown();
  const children: SubgraphChild[] = [];
  const stop = async () => {
    await shutdown.run();
    for (const child of children.reverse()) await child.stop();
  };
  try {
    children.push(...(await Promise.all(SUBGRAPH_NAMES.map((name) => launch(name, fullEnv)))));
    const orm = await initOrm(config, GATEWAY_ORM, shutdown);
    const keys = new KeyStore(orm, config.secret);
    const redis = createProducerRedis(config.redisUrl, config.redisCommandTimeoutMs, shutdown, 'foresight-demo-gateway');
    await redisReady(redis);
    const log = createLogger('gateway', config.logLevel);
    const gateway = await createGateway({ config, log, shutdown, keys, redis }, { port: 0 });
    return {
      baseUrl: gateway.url.replace(/\/graphql$/, ''),
      createKey: async (tenant, scopes, label) => (await keys.create(tenant, scopes, label)).key,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
