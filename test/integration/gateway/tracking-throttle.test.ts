import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { uuidv7 } from 'uuidv7';

import { requestClientAddress, trustedProxyList } from '../../../gateway/client-address';
import { createEmailTracking } from '../../../gateway/email-tracking';
import { createAddressThrottle } from '../../../gateway/address-throttle';
import { createLogger } from '../../../subgraphs/common/logger';
import type { ProfileTrackEvent } from '../../../subgraphs/common/profile-event-sender';
import { createRedis } from '../../../subgraphs/common/redis';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { signTrackingToken, type TrackingClaims } from '../../../subgraphs/common/tracking-token';
import { waitFor } from '../../fixtures/wait-for';

const SECRET = 'test-secret-0123456789-abcdefghij';
const OFFER = 'https://shop.example.com/offer';
const LIMIT = 3;

/**
 * The tracking routes behind their own rate limit, counted in a real Redis per client address
 * (this server trusts 127.0.0.1 as its proxy, so `X-Forwarded-For` names the client, as behind a
 * load balancer listed in TRUSTED_PROXIES).
 */
describe('createAddressThrottle on the email tracking routes', () => {
  const shutdown = new Shutdown();
  const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', shutdown);
  const log = createLogger('test', 'silent');
  const sent: ProfileTrackEvent[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    // connected first: the throttle lets requests through while Redis is not ready
    await redis.ping();
    // a fresh prefix per run: budgets left by an earlier run cannot leak in
    const throttle = createAddressThrottle(redis, { route: 'tracking', requests: LIMIT, windowSeconds: 60, prefix: `test-${uuidv7()}` }, log);
    const trusted = trustedProxyList(['127.0.0.1']);
    const sender = {
      send: (_tenantId: string, _profileId: string, events: readonly ProfileTrackEvent[]) => {
        sent.push(...events);
        return Promise.resolve('stored' as const);
      },
    };
    const handler = createEmailTracking({ secret: SECRET, sender, log, throttle: (req) => throttle.take(requestClientAddress(req, trusted)) });
    server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await shutdown.run();
  });

  const claims = (deliveryId: string): Omit<TrackingClaims, 'kind'> => ({ tenantId: 'shop', profileId: 'p-1', runId: 'r-1', stepId: 'offer', deliveryId, exp: Date.now() / 1000 + 3600 });
  const open = (deliveryId: string) => `/t/o/${signTrackingToken({ ...claims(deliveryId), kind: 'o' }, SECRET)}`;
  const click = (deliveryId: string) => `/t/c/${signTrackingToken({ ...claims(deliveryId), kind: 'c', url: OFFER }, SECRET)}`;
  const from = (client: string, path: string) => fetch(url + path, { redirect: 'manual', headers: { 'x-forwarded-for': client } });

  it('answers an address over its budget 429 with Retry-After: the pixel still a GIF, a click never a redirect, nothing recorded', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await from('203.0.113.7', open(`d-${i}`))).status).toBe(200);
    await waitFor(() => sent.length === LIMIT);

    const pixel = await from('203.0.113.7', open('d-over'));
    expect(pixel.status).toBe(429);
    expect(Number(pixel.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(pixel.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(pixel.headers.get('content-type')).toBe('image/gif');
    expect(Buffer.from(await pixel.arrayBuffer()).subarray(0, 6).toString('latin1')).toBe('GIF89a');

    // a valid click token over the budget: refused, no Location at all
    const clicked = await from('203.0.113.7', click('d-over'));
    expect(clicked.status).toBe(429);
    expect(clicked.headers.get('location')).toBeNull();
    expect(Number(clicked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await clicked.text()).toContain('too many requests');

    // another address has its own budget; its open is the sentinel that the refused ones recorded nothing
    const other = await from('198.51.100.9', click('d-other'));
    expect(other.status).toBe(302);
    expect(other.headers.get('location')).toBe(OFFER);
    await waitFor(() => sent.some((e) => e.properties.deliveryId === 'd-other'));
    expect(sent.map((e) => e.properties.deliveryId)).toEqual(['d-0', 'd-1', 'd-2', 'd-other']);
  });

  it('counts an untrusted peer by its own address, whatever X-Forwarded-For it sends', async () => {
    // the server trusts 127.0.0.1, so build one that does not: the forwarded header is ignored
    const throttle = createAddressThrottle(redis, { route: 'tracking', requests: 1, windowSeconds: 60, prefix: `test-${uuidv7()}` }, log);
    const handler = createEmailTracking({ secret: SECRET, sender: null, log, throttle: (req) => throttle.take(requestClientAddress(req, trustedProxyList([]))) });
    const direct = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => direct.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(direct.address() as AddressInfo).port}`;
      const get = (client: string) => fetch(base + click('d-x'), { redirect: 'manual', headers: { 'x-forwarded-for': client } });
      expect((await get('192.0.2.1')).status).toBe(302);
      // a new forged client address does not buy a new budget
      expect((await get('192.0.2.2')).status).toBe(429);
    } finally {
      await new Promise((resolve) => direct.close(resolve));
    }
  });
});
