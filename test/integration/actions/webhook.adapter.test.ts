import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { OutboundMessage } from '../../../subgraphs/actions/domain/channel';
import { isRefusedAddress } from '../../../subgraphs/actions/services/channels/safe-http';
import { WebhookAdapter } from '../../../subgraphs/actions/services/channels/webhook.adapter';
import { freePort } from '../../fixtures/stack';

const SECRET_OLD = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SECRET_NEW = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;

/** The spec's signature, computed independently: HMAC-SHA256 of `id.timestamp.body` under the base64 key after `whsec_`. */
function expectedSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  idempotencyKey: 'alert-a1-c1',
  tenantId: 't1',
  profileId: 'p1',
  to: null,
  type: 'alert.raised',
  payload: { alertId: 'a1', severity: 'high' },
  ...over,
});

describe('WebhookAdapter', () => {
  let server: Server;
  let url: string;
  const received: Received[] = [];
  /** The status the receiver answers next (per path). */
  const answers: Record<string, number> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (req.url === '/slow') return; // never answers: the adapter's timeout ends it
        res.statusCode = answers[req.url ?? '/'] ?? 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const adapter = (secrets = [SECRET_OLD], path = '/hook', allowedHosts = ['127.0.0.1'], timeoutMs = 5_000) =>
    new WebhookAdapter({ url: `${url}${path}`, secrets, policy: { allowedHosts, timeoutMs } });

  it('POSTs the JSON body signed per Standard Webhooks, verifiable by an independent HMAC', async () => {
    const result = await adapter().send(message());
    expect(result).toEqual({ ok: true, providerId: null, status: 204 });
    const got = received.at(-1)!;
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['webhook-id']).toBe('alert-a1-c1');
    const timestamp = String(got.headers['webhook-timestamp']);
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60);
    expect(got.headers['webhook-signature']).toBe(expectedSignature(SECRET_OLD, 'alert-a1-c1', timestamp, got.body));
    expect(JSON.parse(got.body)).toMatchObject({ type: 'alert.raised', data: { alertId: 'a1', severity: 'high' } });
  });

  it('sends one signature per active secret while a rotation overlaps', async () => {
    await adapter([SECRET_NEW, SECRET_OLD]).send(message({ idempotencyKey: 'k-rot' }));
    const got = received.at(-1)!;
    const timestamp = String(got.headers['webhook-timestamp']);
    expect(String(got.headers['webhook-signature']).split(' ')).toEqual([
      expectedSignature(SECRET_NEW, 'k-rot', timestamp, got.body),
      expectedSignature(SECRET_OLD, 'k-rot', timestamp, got.body),
    ]);
  });

  it.each([
    [200, { ok: true }],
    [410, { ok: false, retryable: false, disable: true }],
    [408, { ok: false, retryable: true }],
    [429, { ok: false, retryable: true }],
    [500, { ok: false, retryable: true }],
    [503, { ok: false, retryable: true }],
    [400, { ok: false, retryable: false }],
    [404, { ok: false, retryable: false }],
    [301, { ok: false, retryable: false }],
  ])('classifies an answer %i', async (status, expected) => {
    answers[`/s${status}`] = status;
    const result = await adapter(undefined, `/s${status}`).send(message());
    expect(result).toMatchObject({ ...expected, status });
    if (!result.ok && status !== 410) expect(result.disable).toBeUndefined();
  });

  it('treats a refused connection and a timeout as retryable', async () => {
    const closed = new WebhookAdapter({ url: `http://127.0.0.1:${await freePort()}/x`, secrets: [SECRET_OLD], policy: { allowedHosts: ['127.0.0.1'], timeoutMs: 2_000 } });
    expect(await closed.send(message())).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('network') });
    const slow = adapter(undefined, '/slow', ['127.0.0.1'], 300);
    expect(await slow.send(message())).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('timed out') });
  });

  it('refuses loopback, private and link-local hosts unless allow-listed, without sending', async () => {
    const before = received.length;
    const refused = await adapter(undefined, '/hook', []).send(message());
    expect(refused).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('127.0.0.1') });
    for (const target of ['http://localhost:1/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:1/x', 'http://192.168.0.10/x']) {
      const a = new WebhookAdapter({ url: target, secrets: [SECRET_OLD], policy: { allowedHosts: [], timeoutMs: 1_000 } });
      expect(await a.send(message())).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('refused') });
    }
    expect(received.length).toBe(before);
  });
});

describe('isRefusedAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.0.0.1', true],
    ['172.16.5.4', true],
    ['192.168.1.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['::1', true],
    ['fe80::1', true],
    ['fd00::1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', true],
    ['8.8.8.8', false],
    ['93.184.216.34', false],
    ['2606:4700::1111', false],
  ])('%s → %s', (address, refused) => {
    expect(isRefusedAddress(address)).toBe(refused);
  });
});
