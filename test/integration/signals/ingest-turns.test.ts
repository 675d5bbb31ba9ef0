import { loadConfig } from '../../../subgraphs/common/config';
import { createRedis } from '../../../subgraphs/common/redis';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { IngestGuard, SHARED_TENANT_CONCURRENCY } from '../../../subgraphs/signals/services/ingest-guard.service';

/** A request's work that ends when the test says so. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish };
}

/**
 * `IngestGuard.inTurn`: how many of a tenant's requests one signals process works on at once.
 * The turns are counted in memory; Redis is only what the guard's limiters are built on.
 */
describe('IngestGuard.inTurn', () => {
  const shutdown = new Shutdown();
  const config = loadConfig({ NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/foresight-ingest-turns', INGEST_TENANT_CONCURRENCY: '3' });
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', shutdown);
  afterAll(() => shutdown.run());

  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('works on INGEST_TENANT_CONCURRENCY requests of a tenant alone at once, and one at a time once another tenant sends too', async () => {
    const guard = new IngestGuard({ config, redis, queues: {} as never });
    const started: string[] = [];
    const request = (tenantId: string, name: string, work = held()) => ({
      work,
      done: guard.inTurn(tenantId, async () => {
        started.push(name);
        await work.done;
      }),
    });

    // alone: three at once, the fourth waits
    const alone = ['a1', 'a2', 'a3', 'a4'].map((name) => request('flood', name));
    await settle();
    expect(started).toEqual(['a1', 'a2', 'a3']);

    // another tenant sends: its request runs at once (tenants never wait for each other) …
    const other = request('trickle', 'b1');
    await settle();
    expect(started).toEqual(['a1', 'a2', 'a3', 'b1']);
    // … and the flooding tenant is down to one at a time: a4 waits until only one would run
    alone[0].work.finish();
    await alone[0].done;
    await settle();
    expect(started).not.toContain('a4');
    alone[1].work.finish();
    alone[2].work.finish();
    await Promise.all([alone[1].done, alone[2].done]);
    await settle();
    expect(started.filter((n) => n.startsWith('a'))).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(SHARED_TENANT_CONCURRENCY).toBe(1);

    alone[3].work.finish();
    other.work.finish();
    await Promise.all([alone[3].done, other.done]);
  });
});
