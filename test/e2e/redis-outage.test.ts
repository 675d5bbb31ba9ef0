import { spawn, type ChildProcess } from 'node:child_process';

import { Redis } from 'ioredis';

import { bearer, freePort, gql, startStack, type Stack } from '../fixtures/stack';
import { profileResolved, trackThrough } from '../fixtures/track-probe';
import { waitFor } from '../fixtures/wait-for';

/** A Redis of this test's own on `port` (never the shared one on 6379), nothing persisted. */
function startRedis(port: number): ChildProcess {
  return spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
}

async function redisAnswers(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

describe('Redis down is a fast, honest answer', () => {
  let stack: Stack;
  let redis: ChildProcess;
  let port: number;
  let key: string;
  let admin: string;

  const track = (userId: string) => trackThrough(stack, key, userId, 'Outage Probe');
  const resolved = (userId: string) => profileResolved(stack, key, userId);

  beforeAll(async () => {
    port = await freePort();
    redis = startRedis(port);
    await waitFor(() => redisAnswers(port));
    stack = await startStack({ REDIS_URL: `redis://127.0.0.1:${port}`, SWEEP_INTERVAL_MS: '500', SWEEP_GRACE_MS: '1000' });
    key = await stack.key('outage', ['events:write', 'profiles:read']);
    admin = await stack.key('outage', ['admin']);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    redis?.kill('SIGKILL');
  }, 120_000);

  it('answers /v1 with 503 and Retry-After within a second while Redis is down, and loses nothing it acknowledged', async () => {
    expect((await track('before')).status).toBe(200);
    // the job for 'before' may die with this Redis: only the events table still knows it
    const exited = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGKILL');
    await exited;
    await waitFor(() => stack.subgraphs.signals.deps.redis.status !== 'ready');

    // at once: the answer does not wait for Redis (it used to wait until Redis came back). Within
    // a second on an idle machine; the bound here leaves room for a loaded CI runner
    const started = Date.now();
    const during = await track('during');
    const waitedMs = Date.now() - started;
    expect(during.status).toBe(503);
    expect(waitedMs).toBeLessThan(5_000);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await during.json()).toMatchObject({ success: false, code: 'UNAVAILABLE' });

    redis = startRedis(port);
    await waitFor(() => stack.subgraphs.signals.deps.redis.status === 'ready', 30_000);
    expect((await track('after')).status).toBe(200);
    // the sweeper queues again what was committed before the outage
    await waitFor(async () => (await resolved('before')) && (await resolved('after')), 60_000, 250);
    expect(await resolved('during')).toBe(false);
  }, 150_000);

  it('answers a mutation that queues work UNAVAILABLE while Redis is down, without waiting for it, and stores nothing', async () => {
    const CREATE = 'mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }';
    const segments = async () => (await gql(stack.gateway.url, '{ segments { name } }', {}, bearer(admin))).data?.segments.map((s: { name: string }) => s.name).sort();
    const input = (name: string) => ({ input: { name, condition: { path: 'traits.plan', op: 'eq', value: 'pro' } } });
    expect((await gql(stack.gateway.url, CREATE, input('before outage'), bearer(admin))).errors).toBeUndefined();

    const exited = new Promise((resolve) => redis.once('exit', resolve));
    redis.kill('SIGKILL');
    await exited;
    await waitFor(() => stack.subgraphs.profiles.apiDeps.redis.status !== 'ready');

    const during = await gql(stack.gateway.url, CREATE, input('during outage'), bearer(admin));
    // answered while Redis is still down: it did not wait for Redis to come back
    expect(await redisAnswers(port)).toBe(false);
    expect(during.status).toBeLessThan(500);
    expect(during.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 5 });
    expect(await segments()).toEqual(['before outage']);

    redis = startRedis(port);
    await waitFor(() => stack.subgraphs.profiles.apiDeps.redis.status === 'ready', 30_000);
    expect((await gql(stack.gateway.url, CREATE, input('after outage'), bearer(admin))).errors).toBeUndefined();
    expect(await segments()).toEqual(['after outage', 'before outage']);
  }, 150_000);
});
