import { Analytics } from '@segment/analytics-node';

import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from '../../subgraphs/common/segment-api';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { sweepEvents } from '../../subgraphs/signals/workers/sweep-events.worker';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

/** The per-key quota in this stack: low enough to reach in a test, high enough for the others. */
const RATE_LIMIT = 100;

describe('event ingestion through the gateway', () => {
  let stack: Stack;
  let base: string;
  let writeKey: string;

  beforeAll(async () => {
    stack = await startStack({ INGEST_RATE_LIMIT_PER_SECOND: String(RATE_LIMIT) });
    base = stack.gateway.url.replace(/\/graphql$/, '');
    writeKey = await stack.key('acme', ['events:write']);
  });
  afterAll(() => stack?.stop());

  const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
  const post = (path: string, body: unknown, headers: Record<string, string> = basic(writeKey)) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const stored = (tenantId: string, where: Record<string, unknown> = {}) =>
    forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId, ...where }, { orderBy: { timestamp: 'asc' } });
  const track = (messageId: string, over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Clicked', userId: 'u-http', messageId, ...over });

  describe('the official @segment/analytics-node SDK', () => {
    const sdkEvents = () => stored('acme', { userId: { $in: ['u-sdk'] } });

    beforeAll(async () => {
      const analytics = new Analytics({ writeKey, host: base, path: '/v1/batch', flushAt: 2, flushInterval: 200, maxRetries: 2 });
      const statuses: number[] = [];
      const errors: unknown[] = [];
      analytics.on('http_response', (res) => statuses.push(res.status));
      analytics.on('error', (err) => errors.push(err));
      analytics.identify({ userId: 'u-sdk', anonymousId: 'anon-sdk', traits: { email: 'sdk@example.com', plan: 'pro' } });
      analytics.track({ userId: 'u-sdk', event: 'Order Completed', properties: { revenue: 42, currency: 'EUR' } });
      analytics.page({ userId: 'u-sdk', name: 'Pricing', properties: { path: '/pricing' } });
      analytics.alias({ userId: 'u-sdk', previousId: 'anon-sdk' });
      await analytics.closeAndFlush({ timeout: 10_000 });
      expect(errors).toEqual([]);
      expect(statuses.length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200)).toBe(true);
    });

    it('delivers identify, track, page and alias, each stored once with its content and clocks', async () => {
      const events = await sdkEvents();
      expect(events.map((e) => [e.type, e.name]).sort()).toEqual([
        ['alias', null],
        ['identify', null],
        ['page', 'Pricing'],
        ['track', 'Order Completed'],
      ]);
      const identify = events.find((e) => e.type === 'identify')!;
      expect(identify).toMatchObject({ anonymousId: 'anon-sdk', traits: { email: 'sdk@example.com', plan: 'pro' } });
      expect(identify.context).toMatchObject({ library: { name: '@segment/analytics-node' } });
      expect(events.find((e) => e.type === 'alias')).toMatchObject({ previousId: 'anon-sdk', userId: 'u-sdk' });
      expect(events.find((e) => e.type === 'track')!.properties).toEqual({ revenue: 42, currency: 'EUR' });
      for (const event of events) {
        expect(event.messageId).toBeTruthy();
        expect(event.sentAt).toBeInstanceOf(Date);
        // same machine, same clock: the skew correction moves the time by (almost) nothing
        expect(Math.abs(event.timestamp.getTime() - event.originalTimestamp!.getTime())).toBeLessThan(2_000);
        expect(event.enqueuedAt).toBeInstanceOf(Date);
      }
    });

    it('has them resolved to one profile, read back through the gateway with the profile', async () => {
      await waitFor(async () => (await sdkEvents()).every((e) => e.processedAt !== null), 15_000, 100);
      const reader = await stack.key('acme', ['profiles:read']);
      const res = await gql(
        stack.gateway.url,
        `{ profileByIdentity(type: USER_ID, value: "u-sdk") { id events(first: 10) { type name userId profileId } } }`,
        {},
        bearer(reader),
      );
      expect(res.errors).toBeUndefined();
      const profile = res.data!.profileByIdentity;
      expect(profile.events).toHaveLength(4);
      expect(profile.events.every((e: { profileId: string }) => e.profileId === profile.id)).toBe(true);
      const types = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { events(types: ["track"]) { name } } }`, { id: profile.id }, bearer(reader));
      expect(types.data!.profile.events).toEqual([{ name: 'Order Completed' }]);
    });
  });

  it('processes an acknowledged event whose job was lost once the sweeper runs', async () => {
    // a crash between the commit and the enqueue leaves a stored event with no job
    const em = forkAcrossTenants(stack.subgraphs.signals.deps.orm);
    const now = new Date();
    const lost = em.create(Event, { tenantId: 'acme', messageId: 'lost-1', type: 'track', name: 'Recovered', userId: 'u-lost', timestamp: now, receivedAt: now });
    await em.flush();
    await sweepEvents(stack.subgraphs.signals.deps);
    await waitFor(async () => (await stored('acme', { messageId: 'lost-1' }))[0].processedAt !== null, 15_000, 100);
    const reader = await stack.key('acme', ['profiles:read']);
    const res = await gql(stack.gateway.url, `{ profileByIdentity(type: USER_ID, value: "u-lost") { events { id name } } }`, {}, bearer(reader));
    expect(res.data!.profileByIdentity.events).toEqual([{ id: lost.id, name: 'Recovered' }]);
  });

  it.each([
    ['track', { event: 'Signed Up', userId: 'u-one' }, 'Signed Up'],
    ['identify', { userId: 'u-one', traits: { plan: 'free' } }, null],
    ['page', { anonymousId: 'a-one', name: 'Home' }, 'Home'],
    ['screen', { userId: 'u-one', name: 'Settings' }, 'Settings'],
    ['group', { userId: 'u-one', groupId: 'g-1', traits: { name: 'Acme' } }, null],
    ['alias', { userId: 'u-one', previousId: 'a-one' }, null],
  ])('takes one %s event on its own endpoint, typed by the path', async (type, body, name) => {
    const messageId = `single-${type}`;
    const res = await post(`/v1/${type}`, { ...body, messageId });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: 1, duplicates: 0, errors: [] });
    expect(await stored('acme', { messageId })).toEqual([expect.objectContaining({ type, name })]);
  });

  it('stores nothing twice when a batch is retried with the same messageIds, counting duplicates', async () => {
    const batch = { batch: [track('retry-1'), track('retry-2'), track('retry-3')], sentAt: new Date().toISOString() };
    expect(await (await post('/v1/batch', batch)).json()).toEqual({ success: true, accepted: 3, duplicates: 0, errors: [] });
    const retry = await post('/v1/batch', { ...batch, sentAt: new Date().toISOString() });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ success: true, accepted: 0, duplicates: 3, errors: [] });
    expect(await stored('acme', { messageId: { $like: 'retry-%' } })).toHaveLength(3);
  });

  it('keeps the valid events of a mixed batch and names each refused one by index and reason', async () => {
    const res = await post('/v1/batch', {
      batch: [
        track('mixed-1'),
        { type: 'track', userId: 'u-http', messageId: 'mixed-2' },
        track('mixed-3', { properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }),
        { type: 'launch', userId: 'u-http' },
        track('mixed-5', { timestamp: 'tuesday' }),
        track('mixed-6'),
      ],
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ success: true, accepted: 2, duplicates: 0 });
    expect(body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4]);
    expect(body.errors[0].message).toBe('track needs event (a non-empty string)');
    expect(body.errors[1].message).toMatch(/over the limit of 32768/);
    expect((await stored('acme', { messageId: { $like: 'mixed-%' } })).map((e) => e.messageId).sort()).toEqual(['mixed-1', 'mixed-6']);
  });

  it('answers 400 with the reasons when no event of a batch is valid', async () => {
    const res = await post('/v1/batch', { batch: [{ type: 'track', userId: 'u' }] });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ success: false, code: 'INVALID_EVENT', errors: [{ index: 0, message: 'track needs event (a non-empty string)' }] });
  });

  it('accepts JSON posted as text/plain, as browsers’ analytics.js sends it', async () => {
    const res = await post('/v1/track', JSON.stringify(track('plain-1')), { ...basic(writeKey), 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
  });

  describe('limits', () => {
    it('refuses a single event over 32 KB with 400 and a reason', async () => {
      const res = await post('/v1/track', track('huge', { properties: { blob: 'x'.repeat(MAX_EVENT_BYTES) } }));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ success: false, code: 'EVENT_TOO_LARGE', message: 'the event is over the limit of 32768 bytes' });
    });

    it('refuses a batch over 500 KB with 400 and a reason, storing none of it', async () => {
      const batch = Array.from({ length: 20 }, (_, i) => track(`big-${i}`, { properties: { blob: 'x'.repeat(30_000) } }));
      expect(JSON.stringify({ batch }).length).toBeGreaterThan(MAX_BATCH_BYTES);
      const res = await post('/v1/batch', { batch });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ success: false, code: 'BATCH_TOO_LARGE' });
      expect(await stored('acme', { messageId: { $like: 'big-%' } })).toHaveLength(0);
    });

    it.each([
      ['with Basic auth (checked by the signals service)', true],
      ['with the write key expected in the body (checked by the gateway)', false],
    ])('refuses malformed JSON with 400 %s', async (_name, withHeader) => {
      const res = await post('/v1/batch', '{"batch": [', withHeader ? basic(writeKey) : {});
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ success: false, code: 'INVALID_JSON' });
    });

    it('answers 429 with Retry-After once a key sends more events per second than allowed', async () => {
      const key = await stack.key('acme', ['events:write']);
      const batch = (n: number, prefix: string) => ({ batch: Array.from({ length: n }, (_, i) => track(`${prefix}-${i}`)) });
      // the quota is per one-second window: on a busy machine the first request can outlast the
      // window it started, so the pair is tried again (a limiter that never refuses fails all)
      let res!: Response;
      let refused = '';
      for (let attempt = 0; attempt < 5 && res?.status !== 429; attempt++) {
        // a fresh window for the next try: the last one may hold the accepted 5
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1100));
        expect((await post('/v1/batch', batch(RATE_LIMIT, `rate-a${attempt}`), basic(key))).status).toBe(200);
        refused = `rate-b${attempt}`;
        res = await post('/v1/batch', batch(5, refused), basic(key));
      }
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await res.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
      expect(await stored('acme', { messageId: { $like: `${refused}-%` } })).toHaveLength(0);
      // other keys keep their own quota
      expect((await post('/v1/track', track('rate-other'))).status).toBe(200);
    });
  });

  describe('authentication', () => {
    it('takes the write key from the body when there is no Authorization header', async () => {
      const res = await post('/v1/batch', { batch: [track('body-key')], writeKey }, {});
      expect(res.status).toBe(200);
      expect(await stored('acme', { messageId: 'body-key' })).toHaveLength(1);
    });

    it('lets an admin key write events', async () => {
      const admin = await stack.key('acme', ['admin']);
      expect((await post('/v1/track', track('admin-1'), basic(admin))).status).toBe(200);
    });

    it.each([
      ['no key at all', {} as Record<string, string>],
      ['an unknown key', basic(`fsk_${'x'.repeat(43)}`)],
      ['an empty Basic user', { authorization: `Basic ${Buffer.from(':').toString('base64')}` }],
      ['another auth scheme', { authorization: 'Digest abc' }],
    ])('answers 401 for %s', async (_name, headers) => {
      const res = await post('/v1/track', track('nope'), headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
      expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHENTICATED' });
    });

    it('refuses a revoked key at once', async () => {
      const created = await stack.keys.create('acme', ['events:write']);
      expect((await post('/v1/track', track('revoked-1'), basic(created.key))).status).toBe(200);
      await stack.keys.revoke(created.id);
      expect((await post('/v1/track', track('revoked-2'), basic(created.key))).status).toBe(401);
    });

    it('answers 403 for a key without events:write', async () => {
      const reader = await stack.key('acme', ['profiles:read']);
      const res = await post('/v1/track', track('reader'), basic(reader));
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ success: false, code: 'FORBIDDEN' });
    });

    it('keeps tenants apart: the same messageId is a new event for another tenant', async () => {
      const other = await stack.key('globex', ['events:write']);
      const res = await post('/v1/track', track('retry-1'), basic(other));
      expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0 });
      expect(await stored('globex')).toHaveLength(1);
    });
  });

  it.each([
    ['an unknown endpoint', 404, 'POST', '/v1/purchase'],
    ['a GET', 405, 'GET', '/v1/batch'],
    ['a CORS preflight (browsers)', 204, 'OPTIONS', '/v1/batch'],
  ])('answers %s with %i', async (_name, status, method, path) => {
    const res = await fetch(`${base}${path}`, { method, headers: basic(writeKey), body: method === 'POST' ? '{}' : undefined });
    expect(res.status).toBe(status);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  describe('the ingestEvents mutation', () => {
    const INGEST = `mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates errors { index message } } }`;

    it('stores events with the same validation and deduplication as the HTTP API', async () => {
      const events = [track('gql-1'), { type: 'group', userId: 'u-http', messageId: 'gql-2' }, track('gql-1')];
      const res = await gql(stack.gateway.url, INGEST, { events }, bearer(writeKey));
      expect(res.errors).toBeUndefined();
      expect(res.data!.ingestEvents).toEqual({ accepted: 1, duplicates: 1, errors: [{ index: 1, message: 'group needs groupId' }] });
      const again = await gql(stack.gateway.url, INGEST, { events: [track('gql-1')] }, bearer(writeKey));
      expect(again.data!.ingestEvents).toEqual({ accepted: 0, duplicates: 1, errors: [] });
    });

    it('answers FORBIDDEN without events:write', async () => {
      const reader = await stack.key('acme', ['profiles:read']);
      const res = await gql(stack.gateway.url, INGEST, { events: [track('gql-x')] }, bearer(reader));
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(await stored('acme', { messageId: 'gql-x' })).toHaveLength(0);
    });
  });
});
