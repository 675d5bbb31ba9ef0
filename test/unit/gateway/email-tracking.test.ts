import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createEmailTracking } from '../../../gateway/email-tracking';
import { createLogger } from '../../../subgraphs/common/logger';
import type { ProfileTrackEvent } from '../../../subgraphs/common/profile-event-sender';
import { signTrackingToken, type TrackingClaims } from '../../../subgraphs/common/tracking-token';
import { waitFor } from '../../fixtures/wait-for';

const SECRET = 'test-secret-0123456789-abcdefghij';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const base: Omit<TrackingClaims, 'kind'> = { tenantId: 'shop', profileId: 'p-1', runId: 'r-1', stepId: 'offer', deliveryId: 'd-1', exp: NOW / 1000 + 3600 };
const OFFER = 'https://shop.example.com/offer?a=1&b=2';

/**
 * The tracking routes on a real HTTP server; the event sender is a recorder (the path behind it,
 * profiles and signals, runs in test/e2e/email-tracking.test.ts).
 */
describe('createEmailTracking', () => {
  let server: Server;
  let url: string;
  const sent: { tenantId: string; profileId: string; events: readonly ProfileTrackEvent[] }[] = [];

  beforeAll(async () => {
    const sender = {
      send: (tenantId: string, profileId: string, events: readonly ProfileTrackEvent[]) => {
        sent.push({ tenantId, profileId, events });
        return Promise.resolve('stored' as const);
      },
    };
    const handler = createEmailTracking({ secret: SECRET, sender, log: createLogger('test', 'silent'), now: () => new Date(NOW) });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const open = (over: Partial<TrackingClaims> = {}) => `/t/o/${signTrackingToken({ ...base, kind: 'o', ...over }, SECRET)}`;
  const click = (over: Partial<TrackingClaims> = {}) => `/t/c/${signTrackingToken({ ...base, kind: 'c', url: OFFER, ...over }, SECRET)}`;
  const get = (path: string, method = 'GET') => fetch(url + path, { method, redirect: 'manual' });
  /** Hits a fresh valid pixel (its own outbox row) and waits for its event: whatever was sent before is in `sent`. */
  const sentinel = async (deliveryId: string) => {
    await get(open({ deliveryId }));
    await waitFor(() => sent.some((s) => s.events[0].properties.deliveryId === deliveryId));
    return sent.splice(0).filter((s) => s.events[0].properties.deliveryId !== deliveryId);
  };

  it('records an open and a click with messageIds per outbox row, kind and link', async () => {
    expect((await get(open())).status).toBe(200);
    const clicked = await get(click());
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get('location')).toBe(OFFER);
    const before = await sentinel('s-1');
    expect(before.map((s) => [s.tenantId, s.profileId, s.events[0].event, s.events[0].messageId])).toEqual([
      ['shop', 'p-1', 'Email Opened', 'email-opened-d-1'],
      ['shop', 'p-1', 'Email Link Clicked', expect.stringMatching(/^email-link-clicked-d-1-[0-9a-f]{32}$/)],
    ]);
    expect(before[1].events[0].properties).toEqual({ channel: 'email', runId: 'r-1', stepId: 'offer', deliveryId: 'd-1', url: OFFER });
    expect(before[0].events[0].timestamp.getTime()).toBe(NOW);
  });

  it('sends a repeated open only once per gateway instance (signals deduplicates across instances)', async () => {
    await get(open({ deliveryId: 'd-2' }));
    await waitFor(() => sent.length === 1);
    await get(open({ deliveryId: 'd-2' }));
    expect((await sentinel('s-2')).map((s) => s.events[0].messageId)).toEqual(['email-opened-d-2']);
  });

  it('answers a forged, garbage or cross-kind pixel with the GIF and records nothing', async () => {
    // never recorded before, so a send skipped as already recorded cannot hide one
    const fresh = { deliveryId: 'd-forged' };
    const valid = open(fresh);
    const forged = valid.slice(0, -1) + (valid.endsWith('A') ? 'B' : 'A');
    for (const path of [forged, '/t/o/garbage', '/t/o/', click(fresh).replace('/t/c/', '/t/o/')]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/gif');
      expect(res.headers.get('cache-control')).toContain('no-store');
    }
    expect(await sentinel('s-3')).toEqual([]);
  });

  it('refuses a forged, garbage or cross-kind link with a plain 400 and no redirect', async () => {
    const forged = click({ url: 'https://evil.example.com/' }).split('.')[0] + '.' + click().split('.')[1];
    for (const path of [forged, '/t/c/garbage', open().replace('/t/o/', '/t/c/')]) {
      const res = await get(path);
      expect(res.status).toBe(400);
      expect(res.headers.get('location')).toBeNull();
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect(await res.text()).toBe('this tracking link is invalid or has been altered\n');
    }
    expect(await sentinel('s-4')).toEqual([]);
  });

  it('still redirects an expired link and serves an expired pixel, recording neither', async () => {
    const expired = { exp: NOW / 1000 - 1, deliveryId: 'd-old' };
    expect((await get(open(expired))).status).toBe(200);
    const res = await get(click(expired));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(OFFER);
    expect(await sentinel('s-5')).toEqual([]);
  });

  it('records nothing for HEAD (link checkers), and refuses other methods and paths', async () => {
    expect((await get(open({ deliveryId: 'd-head' }), 'HEAD')).status).toBe(200);
    expect((await get(click({ deliveryId: 'd-head' }), 'HEAD')).status).toBe(302);
    expect((await get(open(), 'POST')).status).toBe(405);
    expect((await get('/t/x/abc')).status).toBe(404);
    expect(await sentinel('s-6')).toEqual([]);
  });
});
