import { Event } from '../../subgraphs/signals/entities/event.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy';
import { profileResolved, trackThrough } from '../fixtures/track-probe';
import { waitFor } from '../fixtures/wait-for';

const REDIS = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
/** Short, so the test is quick; production's default is 15 s (`REDIS_COMMAND_TIMEOUT_MS`). */
const COMMAND_TIMEOUT_MS = 400;

/**
 * A Redis that is connected but never answers: the whole stack reaches the shared Redis through a
 * proxy of this test's own, which stops passing bytes (`freeze`) while every connection stays
 * open. The shared Redis itself is never paused (other suites use it meanwhile).
 */
describe('a hung Redis is a bounded, honest answer', () => {
  let proxy: TcpProxy;
  let stack: Stack;
  let key: string;
  let admin: string;

  const track = (userId: string) => trackThrough(stack, key, userId, 'Hang Probe');
  const resolved = (userId: string) => profileResolved(stack, key, userId);
  const stored = (messageId: string) => stack.subgraphs.signals.deps.orm.em.fork().count(Event, { messageId }, { filters: { tenant: false } });
  const CREATE = 'mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }';
  const segmentInput = (name: string) => ({ input: { name, condition: { path: 'traits.plan', op: 'eq', value: 'pro' } } });
  const segments = async () =>
    (await gql(stack.gateway.url, '{ segments { name } }', {}, bearer(admin))).data?.segments.map((s: { name: string }) => s.name).sort();

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
    stack = await startStack({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      SWEEP_INTERVAL_MS: '500',
      SWEEP_GRACE_MS: '1000',
    });
    key = await stack.key('hung', ['events:write', 'profiles:read']);
    admin = await stack.key('hung', ['admin']);
  }, 120_000);
  afterAll(async () => {
    // queued replies must flow again for the connections to close cleanly
    proxy?.thaw();
    await stack?.stop();
    await proxy?.close();
  }, 120_000);

  it('answers /v1 with 503 and Retry-After after the command timeout, stores nothing of it, and accepts again once Redis answers', async () => {
    expect((await track('before')).status).toBe(200);
    await waitFor(() => resolved('before'), 30_000, 100);

    proxy.freeze();
    // connected all along: only the command timeout can notice
    expect(stack.subgraphs.signals.apiDeps.redis.status).toBe('ready');
    const started = Date.now();
    const during = await track('during');
    const waitedMs = Date.now() - started;
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await during.json()).toMatchObject({ success: false, code: 'UNAVAILABLE' });
    // bounded by the timeout (a few commands in a row at most), not by Redis coming back
    expect(waitedMs).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS);
    expect(waitedMs).toBeLessThan(30 * COMMAND_TIMEOUT_MS);

    // refused at admission, before the commit: no row for a sweeper to queue later
    expect(await stored('msg-during')).toBe(0);

    proxy.thaw();
    // the frozen backlog drains first: on a loaded runner a request right after the thaw can still
    // go past the short command timeout, so the fact waited for is "a request is accepted again"
    await waitFor(async () => (await track('after')).status === 200, 30_000, 200);
    await waitFor(() => resolved('after'), 30_000, 100);
    expect(await stored('msg-before')).toBe(1);
    expect(await stored('msg-during')).toBe(0);
  }, 120_000);

  it('answers a mutation UNAVAILABLE after the command timeout and stores nothing of it', async () => {
    expect((await gql(stack.gateway.url, CREATE, segmentInput('before hang'), bearer(admin))).errors).toBeUndefined();

    proxy.freeze();
    expect(stack.subgraphs.profiles.apiDeps.redis.status).toBe('ready');
    const during = await gql(stack.gateway.url, CREATE, segmentInput('during hang'), bearer(admin));
    expect(during.status).toBeLessThan(500);
    expect(during.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', retryAfterSeconds: 5 });

    proxy.thaw();
    // retried until Redis answers in time again (see above); a refused attempt stores nothing, so
    // however many it took, exactly one 'after hang' exists
    await waitFor(async () => (await gql(stack.gateway.url, CREATE, segmentInput('after hang'), bearer(admin))).errors === undefined, 30_000, 200);
    expect(await segments()).toEqual(['after hang', 'before hang']);
  }, 120_000);
});
