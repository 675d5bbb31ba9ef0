import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createReadiness } from '../../../gateway/readiness';
import { createRedis } from '../../../subgraphs/common/redis';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { freePort } from '../../fixtures/stack';

describe('createReadiness', () => {
  const shutdown = new Shutdown();
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', shutdown);
  let server: Server;
  let hits = 0;
  let status = 200;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(status).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await shutdown.run();
  });

  it('probes once for any number of callers within the cache time', async () => {
    let now = 1_000_000;
    hits = 0;
    const ready = createReadiness(redis, { profiles: url }, { cacheMs: 2000, now: () => now });
    const answers = await Promise.all(Array.from({ length: 50 }, () => ready()));
    now += 1999;
    answers.push(await ready());
    expect(hits).toBe(1);
    expect(answers.every((a) => a.ok && a.checks.profiles === 'ok' && a.checks.redis === 'ok')).toBe(true);
    now += 1;
    await ready();
    expect(hits).toBe(2);
  });

  it('answers codes, not error text, for a failing or unreachable subgraph', async () => {
    status = 503;
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    const answer = await createReadiness(redis, { profiles: url, signals: closed })();
    status = 200;
    expect(answer).toEqual({ ok: false, checks: { redis: 'ok', profiles: 'HTTP_503', signals: 'UNREACHABLE' } });
  });
});
