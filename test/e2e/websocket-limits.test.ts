import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import { CLOSE_KEY_REVOKED, CLOSE_TOO_MANY_CONNECTIONS } from '../../gateway/key-sockets';
import { KEY_REVOKED_CHANNEL } from '../../gateway/keys/key-store';
import { createRedis } from '../../subgraphs/common/redis';
import { bearer, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const RISK_CHANGED = 'subscription { riskChanged { score } }';

interface Connection {
  client: Client;
  /** Resolves on connection_ack. */
  connected: Promise<void>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  /** Starts an operation; resolves with its first error, if it ends with one. */
  run(query: string): { errors: Promise<unknown>; stop: () => void };
}

/** One graphql-ws connection (opened at once) as a partner would hold it. */
function connect(url: string, key: string): Connection {
  let onConnected: () => void = () => undefined;
  let onClosed: (code: number) => void = () => undefined;
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const closed = new Promise<number>((resolve) => (onClosed = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: bearer(key),
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => onConnected(), closed: (event) => onClosed((event as { code: number }).code) },
  });
  return {
    client,
    connected,
    closed,
    run(query) {
      let stop: () => void = () => undefined;
      const errors = new Promise<unknown>((resolve) => {
        stop = client.subscribe({ query }, { next: () => undefined, error: resolve, complete: () => resolve(null) });
      });
      return { errors, stop };
    },
  };
}

describe('graphql-ws limits', () => {
  let stack: Stack;
  const open: Connection[] = [];
  const track = (c: Connection) => (open.push(c), c);
  beforeAll(async () => {
    stack = await startStack({ WS_MAX_PAYLOAD_BYTES: '4096', WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2', WS_MAX_CONNECTIONS_PER_KEY: '2' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.client.dispose()));
  });
  afterAll(() => stack?.stop());

  it('closes a socket whose first frame is over WS_MAX_PAYLOAD_BYTES, before connection_init', async () => {
    const socket = new WebSocket(stack.gateway.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { junk: 'x'.repeat(5000) } }));
    // 1009: message too big
    expect(await closed).toBe(1009);
  });

  it('accepts a connection_init within the limit', async () => {
    const key = await stack.key('ws-small', ['risk:subscribe']);
    const conn = track(connect(stack.gateway.wsUrl, key));
    await conn.connected;
  });

  it('refuses an operation over WS_MAX_SUBSCRIPTIONS_PER_CONNECTION on one connection, and takes one again after one ends', async () => {
    const key = await stack.key('ws-subs', ['risk:subscribe']);
    const conn = track(connect(stack.gateway.wsUrl, key));
    await conn.connected;
    const first = conn.run(RISK_CHANGED);
    conn.run(RISK_CHANGED);
    const third = conn.run(RISK_CHANGED);
    expect(JSON.stringify(await third.errors)).toContain('TOO_MANY_SUBSCRIPTIONS');
    first.stop();
    // the completed operation leaves room for one more; it is refused for no limit until then
    await waitFor(async () => {
      const next = conn.run(RISK_CHANGED);
      const outcome = await Promise.race([next.errors, new Promise((resolve) => setTimeout(() => resolve('running'), 300))]);
      if (outcome === 'running') return true;
      expect(JSON.stringify(outcome)).toContain('TOO_MANY_SUBSCRIPTIONS');
      return false;
    });
  });

  it('closes a connection over WS_MAX_CONNECTIONS_PER_KEY with 4429, and leaves other keys alone', async () => {
    const key = await stack.key('ws-conns', ['risk:subscribe']);
    const [a, b] = [track(connect(stack.gateway.wsUrl, key)), track(connect(stack.gateway.wsUrl, key))];
    await Promise.all([a.connected, b.connected]);
    const third = track(connect(stack.gateway.wsUrl, key));
    expect(await third.closed).toBe(CLOSE_TOO_MANY_CONNECTIONS);
    const otherKey = await stack.key('ws-conns', ['risk:subscribe']);
    await track(connect(stack.gateway.wsUrl, otherKey)).connected;
    // a closed connection frees its place
    await a.client.dispose();
    await waitFor(async () => {
      const again = track(connect(stack.gateway.wsUrl, key));
      return Promise.race([again.connected.then(() => true), again.closed.then(() => false)]);
    });
  });

  it('closes every socket of a revoked key within seconds of the announcement, and refuses it afterwards', async () => {
    const created = await stack.keys.create('ws-revoke', ['risk:subscribe']);
    const survivor = await stack.key('ws-revoke', ['risk:subscribe']);
    const conns = [track(connect(stack.gateway.wsUrl, created.key)), track(connect(stack.gateway.wsUrl, created.key))];
    const kept = track(connect(stack.gateway.wsUrl, survivor));
    await Promise.all([...conns, kept].map((c) => c.connected));
    const subscriptions = conns.map((c) => c.run(RISK_CHANGED));

    const { hash } = await stack.keys.revoke(created.id);
    // as `npm run keys -- revoke` does: every gateway instance hears it
    const publisher = createRedis(stack.config.redisUrl);
    try {
      const startedAt = Date.now();
      await publisher.publish(KEY_REVOKED_CHANNEL, hash);
      expect(await Promise.all(conns.map((c) => c.closed))).toEqual([CLOSE_KEY_REVOKED, CLOSE_KEY_REVOKED]);
      expect(Date.now() - startedAt).toBeLessThan(5000);
      await Promise.all(subscriptions.map((s) => s.errors));
    } finally {
      await publisher.quit();
    }
    const retry = track(connect(stack.gateway.wsUrl, created.key));
    expect(await retry.closed).toBe(4403);
    // the other key of the tenant keeps its connection: an operation on it still completes
    expect(await kept.run('{ __typename }').errors).toBeNull();
  });
});
