import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { uuidv7 } from 'uuidv7';

import { createAddressThrottle } from '../../../gateway/address-throttle';
import { requestClientAddress, trustedProxyList } from '../../../gateway/client-address';
import { createDeliveryStatusForwarder } from '../../../gateway/forward-delivery-status';
import { createLogger } from '../../../subgraphs/common/logger';
import { createRedis } from '../../../subgraphs/common/redis';
import { Shutdown } from '../../../subgraphs/common/shutdown';

const LIMIT = 2;
const CHANNEL = '01a21226-0000-7000-8000-0000000000c1';

/**
 * The providers' delivery-status callbacks behind a budget per client address, counted in a real
 * Redis, in front of a stand-in for the actions service that records what reaches it. This server
 * trusts 127.0.0.1 as its proxy, so `X-Forwarded-For` names the client (TRUSTED_PROXIES).
 */
describe('createDeliveryStatusForwarder with a callback budget per address', () => {
  const shutdown = new Shutdown();
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', shutdown);
  const log = createLogger('test', 'silent');
  const relayed: { path: string; body: string; twilioSignature?: string }[] = [];
  let actions: Server;
  let gateway: Server;
  let url: string;

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  };

  beforeAll(async () => {
    await redis.ping();
    actions = createServer((req, res) => {
      void readBody(req).then((body) => {
        relayed.push({ path: req.url ?? '', body, twilioSignature: req.headers['x-twilio-signature'] as string | undefined });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      });
    });
    const actionsUrl = await listen(actions);
    // a fresh prefix per run: budgets left by an earlier run cannot leak in
    const throttle = createAddressThrottle(redis, { route: 'callback', requests: LIMIT, windowSeconds: 60, prefix: `test-${uuidv7()}` }, log);
    const trusted = trustedProxyList(['127.0.0.1']);
    const forward = createDeliveryStatusForwarder({ actionsBaseUrl: actionsUrl, log, throttle: (req) => throttle.take(requestClientAddress(req, trusted)) });
    gateway = createServer((req, res) => void forward(req, res));
    url = await listen(gateway);
  });
  afterAll(async () => {
    await new Promise((resolve) => gateway.close(resolve));
    await new Promise((resolve) => actions.close(resolve));
    await shutdown.run();
  });

  const report = (client: string, messageId: string) =>
    fetch(`${url}/v1/channels/${CHANNEL}/delivery-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
      body: JSON.stringify({ messageId, status: 'delivered' }),
    });

  it('relays an address’s reports up to its budget, then answers 429 RATE_LIMITED with Retry-After and relays nothing', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await report('203.0.113.7', `m-${i}`)).status).toBe(202);

    const over = await report('203.0.113.7', 'm-over');
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(await over.json()).toMatchObject({ accepted: false, code: 'RATE_LIMITED' });

    // another address has a budget of its own
    expect((await report('198.51.100.9', 'm-other')).status).toBe(202);
    expect(relayed.map((r) => JSON.parse(r.body).messageId)).toEqual(['m-0', 'm-1', 'm-other']);
    expect(relayed.every((r) => r.path === `/v1/channels/${CHANNEL}/delivery-status`)).toBe(true);
  });

  it('relays a Twilio status callback as posted: its form body and its X-Twilio-Signature', async () => {
    const body = new URLSearchParams({ MessageSid: 'SM1', MessageStatus: 'delivered' }).toString();
    const res = await fetch(`${url}/v1/channels/${CHANNEL}/delivery-status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'c2lnbmF0dXJl', 'x-forwarded-for': '192.0.2.77' },
      body,
    });
    expect(res.status).toBe(202);
    expect(relayed.at(-1)).toEqual({ path: `/v1/channels/${CHANNEL}/delivery-status`, body, twilioSignature: 'c2lnbmF0dXJl' });
  });

  it('keeps the callbacks’ budget apart from the tracking routes’ budget for the same address', async () => {
    const prefix = `test-${uuidv7()}`;
    const tracking = createAddressThrottle(redis, { route: 'tracking', requests: 1, prefix }, log);
    const callback = createAddressThrottle(redis, { route: 'callback', requests: 1, prefix }, log);
    expect(await tracking.take('192.0.2.1')).toBeNull();
    expect(await tracking.take('192.0.2.1')).toBeGreaterThanOrEqual(1);
    // the tracking budget is spent; the callback budget of the same address is untouched
    expect(await callback.take('192.0.2.1')).toBeNull();
  });
});
