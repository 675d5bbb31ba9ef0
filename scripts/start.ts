// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

import { loadConfig, SUBGRAPH_NAMES } from '../subgraphs/common/config';
import { assertRedisReachable } from '../subgraphs/common/redis';
import { ensureLocalRedis, type LocalRedis } from './embedded-redis';
import { watchPipelineLag } from './pipeline-lag-watch';

/**
 * `npm start`: one process per service, as in production: the four subgraphs (each with its
 * workers) and then the gateway once every subgraph answers /healthz. Ctrl-C stops them all;
 * if one dies, the others are stopped too and the exit code says so. While the pipeline is far
 * behind (a stage's oldest work older than 30 s), it prints one line a minute with each stage's lag.
 * Without REDIS_URL and without a Redis on 6379, it runs `redis-server` from PATH as a child.
 */
async function main(): Promise<void> {
  let redis: LocalRedis;
  try {
    redis = await ensureLocalRedis(process.env, { dataDir: loadConfig().dataDir });
  } catch (err) {
    console.error(`foresight: ${(err as Error).message}`);
    process.exit(1);
  }
  // the children inherit it, so every service talks to the same (possibly embedded) Redis
  process.env.REDIS_URL = redis.url;
  if (redis.embedded) console.log(`foresight: started redis-server for this run at ${redis.url} (data in .data/redis)`);
  const config = loadConfig();
  try {
    await assertRedisReachable(config.redisUrl);
  } catch (err) {
    console.error(`foresight: ${(err as Error).message}`);
    process.exit(1);
  }

  const dist = join(__dirname, '..');
  const children: ChildProcess[] = [];
  let stopping = false;
  const stopAll = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    setTimeout(() => process.exit(code), 5000).unref();
    Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))))
      .then(() => redis.stop()) // after the services, which still flush to it while stopping
      .then(() => process.exit(code));
  };
  process.once('SIGINT', () => stopAll(0));
  process.once('SIGTERM', () => stopAll(0));

  const spawn = (name: string, file: string) => {
    const child = fork(join(dist, file), [], { stdio: 'inherit', env: { ...process.env, SERVICE_NAME: name } });
    child.once('exit', (code, signal) => {
      if (stopping) return;
      console.error(`foresight: ${name} exited (${signal ?? `code ${code}`}); stopping the others`);
      stopAll(1);
    });
    children.push(child);
  };

  for (const name of SUBGRAPH_NAMES) spawn(name, `subgraphs/${name}/index.js`);
  await Promise.all(SUBGRAPH_NAMES.map((name) => waitForHealth(config.subgraphUrls[name].replace(/\/graphql$/, '/healthz'))));
  spawn('gateway', 'gateway/index.js');
  await waitForHealth(`http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.ports.gateway}/healthz`);

  const base = `http://127.0.0.1:${config.ports.gateway}`;
  console.log(
    [
      '',
      'Foresight is running:',
      `  GraphQL (HTTP)        ${base}/graphql`,
      `  GraphQL (graphql-ws)  ws://127.0.0.1:${config.ports.gateway}/graphql`,
      `  health / readiness    ${base}/healthz · ${base}/readyz`,
      `  storage               ${config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite in ${config.dataDir}`}`,
      `  subgraphs             ${SUBGRAPH_NAMES.map((n) => `${n} ${config.subgraphUrls[n]}`).join(' · ')}`,
      '',
      'Create more keys with: npm run keys -- create --tenant <name> --scopes <a,b,...>',
      '',
    ].join('\n'),
  );
  await watchPipelineLag(config, (line) => console.log(`foresight: ${line}`)).catch((err: unknown) => {
    console.error(`foresight: not watching the pipeline's lag: ${(err as Error).message}`);
  });
}

async function waitForHealth(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not become healthy within ${timeoutMs / 1000} s`);
}

main().catch((err: unknown) => {
  console.error(`foresight: ${(err as Error).message}`);
  process.exit(1);
});
