import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import { StepDelivery } from '../../subgraphs/actions/entities/step-delivery.entity';
import { actionsEventSender, recordMessageOutcome } from '../../subgraphs/actions/workers/record-message-outcome.worker';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import type { MessageOutcomeJob } from '../../subgraphs/common/queues';
import { reportDelivery } from '../fixtures/fake-channel-provider';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const PUBLIC_URL = 'https://cx.shop.example';
const OFFER = 'https://shop.example.com/offer?code=SAVE20&utm=mail';

/** The decoded body of a raw MIME message with quoted-printable parts (what nodemailer sends). */
function decodeQuotedPrintable(raw: string): string {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/**
 * A playbook emails a customer through a tracking email channel (delivered to a local SMTP
 * server), waits for `Email Opened`, and creates a task when it comes: the pixel found in the
 * delivered HTML, fetched through the gateway, is the open.
 */
describe('email open and click tracking through the gateway', () => {
  let stack: Stack;
  let smtp: SMTPServer;
  const mails: string[] = [];
  let admin: string;
  let agent: string;
  let gatewayBase: string;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push(Buffer.concat(chunks).toString('utf8'));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    stack = await startStack({ PUBLIC_URL });
    gatewayBase = stack.gateway.url.replace(/\/graphql$/, '');
    admin = await stack.key('shop', ['admin']);
    agent = await stack.key('shop', ['profiles:read', 'actions:write']);
    const off = await gql(stack.gateway.url, `mutation { updateMeasurementSettings(input: { globalControlFraction: 0 }) { globalControlFraction } }`, {}, bearer(admin));
    expect(off.errors).toBeUndefined();
  });
  afterAll(async () => {
    await stack?.stop();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  /** The tracking URL (pixel or link) as the reader's mail client would fetch it, aimed at this test's gateway. */
  const local = (url: string) => {
    expect(url.startsWith(`${PUBLIC_URL}/t/`)).toBe(true);
    return gatewayBase + url.slice(PUBLIC_URL.length);
  };

  it('records the open from the delivered pixel, moves the waiting run on, and redirects a tracked link', async () => {
    const channel = await gql(
      stack.gateway.url,
      `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`,
      { input: { name: 'mail', kind: 'EMAIL', config: { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, secure: false, username: null, from: 'Shop <cx@shop.example.com>', tracking: true } } },
      bearer(admin),
    );
    expect(channel.errors).toBeUndefined();
    const steps = [
      { id: 'offer', type: 'send', channel: 'mail', subject: 'For you', html: `<p>Hi {{profile.traits.firstName}}, <a href="${OFFER.replace('&', '&amp;')}">your offer</a> or <a href="mailto:help@shop.example.com">write to us</a>.</p>`, body: `Hi {{profile.traits.firstName}},\n\n  your offer (${OFFER}).\nWrite to help@shop.example.com.`, next: 'opened' },
      { id: 'opened', type: 'waitForEvent', event: 'Email Opened', where: [], timeoutSeconds: 86400, onEvent: 'call', onTimeout: null },
      { id: 'call', type: 'createTask', team: 'cs', title: 'Follow up the opened offer', priority: 'high', dueInSeconds: 3600, next: null },
    ];
    const created = await gql(stack.gateway.url, `mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id } }`, { input: { name: 'Tracked offer', holdoutFraction: 0, steps } }, bearer(admin));
    expect(created.errors).toBeUndefined();
    const profile = await gql(stack.gateway.url, `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "u-ada" }] }) { id } }`, {}, bearer(admin));
    const profileId = profile.data?.upsertProfile.id as string;
    const run = await gql(
      stack.gateway.url,
      `mutation($p: ID!, $f: ID!, $t: JSONObject) { enrollInPlaybook(playbookId: $p, profileId: $f, traits: $t) { id } }`,
      { p: created.data?.createPlaybook.id, f: profileId, t: { email: 'ada@example.com', firstName: 'Ada' } },
      bearer(agent),
    );
    expect(run.errors).toBeUndefined();

    await waitFor(() => mails.length > 0);
    const html = decodeQuotedPrintable(mails[0]);
    const pixel = /<img src="([^"]+)" width="1" height="1"/.exec(html)?.[1];
    const link = /<a href="([^"]+)">your offer<\/a>/.exec(html)?.[1];
    expect(pixel).toBeDefined();
    expect(link).toBeDefined();
    expect(html).toContain('<a href="mailto:help@shop.example.com">');
    expect(html).not.toContain('shop.example.com/offer');
    // the text part tracks the same link through the same route, its line breaks, indent and
    // brackets kept
    expect(html).toMatch(new RegExp(`Hi Ada,\\r?\\n\\r?\\n  your offer \\(${link!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)\\.\\r?\\nWrite to help@shop\\.example\\.com\\.`));

    // a forged pixel still answers a GIF (mail clients must not retry) and a forged link is refused
    const forgedToken = pixel!.slice(0, -3) + (pixel!.endsWith('AAA') ? 'BBB' : 'AAA');
    const forgedOpen = await fetch(local(forgedToken));
    expect(forgedOpen.status).toBe(200);
    expect(forgedOpen.headers.get('content-type')).toBe('image/gif');
    const forgedClick = await fetch(local(link!.slice(0, -2) + (link!.endsWith('AA') ? 'BB' : 'AA')), { redirect: 'manual' });
    expect(forgedClick.status).toBe(400);
    expect(forgedClick.headers.get('location')).toBeNull();
    expect(await forgedClick.text()).toContain('invalid');

    const opened = await fetch(local(pixel!));
    expect(opened.status).toBe(200);
    expect(opened.headers.get('content-type')).toBe('image/gif');
    expect(opened.headers.get('cache-control')).toContain('no-store');
    expect(Buffer.from(await opened.arrayBuffer()).subarray(0, 6).toString('latin1')).toBe('GIF89a');

    const tasksOf = async () =>
      (await gql(stack.gateway.url, `query($f: ID!) { tasks(filter: { profileId: $f }) { title } }`, { f: profileId }, bearer(agent))).data?.tasks as unknown[] | undefined;
    await waitFor(async () => ((await tasksOf())?.length ?? 0) > 0);
    expect(await tasksOf()).toEqual([{ title: 'Follow up the opened offer' }]);

    // opened again, then clicked: the click's event is the sentinel that the reopen came before
    expect((await fetch(local(pixel!))).status).toBe(200);
    const clicked = await fetch(local(link!), { redirect: 'manual' });
    expect(clicked.status).toBe(302);
    expect(clicked.headers.get('location')).toBe(OFFER);

    const eventsOf = async () =>
      ((await gql(stack.gateway.url, `query($f: ID!) { profile(id: $f) { events(types: ["track"]) { name userId properties } } }`, { f: profileId }, bearer(agent))).data?.profile?.events ?? []) as {
        name: string;
        userId: string;
        properties: Record<string, unknown>;
      }[];
    await waitFor(async () => (await eventsOf()).some((e) => e.name === 'Email Link Clicked'));
    const events = await eventsOf();
    expect(events.filter((e) => e.name === 'Email Opened')).toEqual([
      { name: 'Email Opened', userId: 'u-ada', properties: expect.objectContaining({ channel: 'email', runId: run.data?.enrollInPlaybook.id, stepId: 'offer' }) },
    ]);
    expect(events.find((e) => e.name === 'Email Link Clicked')?.properties).toMatchObject({ url: OFFER, stepId: 'offer' });
  });

  it('records each send outcome as Message Sent or Message Failed (a guardrail skip with its reason), once per outbox row', async () => {
    const steps = [
      { id: 'hello', type: 'send', channel: 'mail', subject: 'Hello', body: 'Hello {{profile.traits.firstName}}', next: 'ghost' },
      { id: 'ghost', type: 'send', channel: 'ghost', body: 'Nobody hears this', next: null },
    ];
    const created = await gql(stack.gateway.url, `mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id } }`, { input: { name: 'Outcomes', holdoutFraction: 0, steps } }, bearer(admin));
    expect(created.errors).toBeUndefined();
    const playbookId = created.data?.createPlaybook.id as string;

    const enrol = async (userId: string, traits: Record<string, unknown>) => {
      const profile = await gql(stack.gateway.url, `mutation($u: String!) { upsertProfile(input: { identities: [{ type: USER_ID, value: $u }] }) { id } }`, { u: userId }, bearer(admin));
      const profileId = profile.data?.upsertProfile.id as string;
      const run = await gql(stack.gateway.url, `mutation($p: ID!, $f: ID!, $t: JSONObject) { enrollInPlaybook(playbookId: $p, profileId: $f, traits: $t) { id } }`, { p: playbookId, f: profileId, t: traits }, bearer(agent));
      expect(run.errors).toBeUndefined();
      return { profileId, runId: run.data?.enrollInPlaybook.id as string };
    };
    const bob = await enrol('u-bob', { email: 'bob@example.com', firstName: 'Bob' });
    const cy = await enrol('u-cy', { email: 'cy@example.com', doNotContact: true });

    type Outcome = { name: string; messageId: string; properties: Record<string, unknown> };
    const outcomesOf = async (profileId: string) =>
      (((await gql(stack.gateway.url, `query($f: ID!) { profile(id: $f) { events(types: ["track"]) { name messageId properties } } }`, { f: profileId }, bearer(agent))).data?.profile?.events ?? []) as Outcome[])
        .filter((e) => e.name.startsWith('Message '))
        .sort((a, b) => String(a.properties.stepId).localeCompare(String(b.properties.stepId)));
    await waitFor(async () => (await outcomesOf(bob.profileId)).length === 2 && (await outcomesOf(cy.profileId)).length === 2);

    const bobs = await outcomesOf(bob.profileId);
    expect(bobs).toEqual([
      {
        name: 'Message Failed',
        messageId: expect.stringMatching(/^message-failed-/),
        properties: expect.objectContaining({ channel: 'ghost', playbookId, playbook: 'Outcomes', runId: bob.runId, stepId: 'ghost', status: 'failed', providerId: null, reason: 'channel ghost is not configured' }),
      },
      {
        name: 'Message Sent',
        messageId: `message-sent-${bobs[1]?.properties.deliveryId}`,
        properties: expect.objectContaining({ channel: 'mail', playbook: 'Outcomes', stepId: 'hello', status: 'sent', providerId: expect.stringMatching(/@shop\.example\.com>$/), reason: null }),
      },
    ]);
    expect(bobs[0].messageId).not.toBe(bobs[1].messageId);
    expect((await outcomesOf(cy.profileId)).map((e) => [e.name, e.properties.stepId, e.properties.status, e.properties.reason])).toEqual([
      // consent is checked before the channel: both sends are skipped
      ['Message Failed', 'ghost', 'skipped', 'doNotContact'],
      ['Message Failed', 'hello', 'skipped', 'doNotContact'],
    ]);

    // a replayed outcome job (a step retried after its hand-off) is a duplicate; a new row is the sentinel
    const sender = actionsEventSender({ ...stack.config, subgraphUrls: { ...stack.config.subgraphUrls, profiles: stack.subgraphs.profiles.url, signals: stack.subgraphs.signals.url } });
    const sent = bobs[1].properties;
    const replay: MessageOutcomeJob = {
      tenantId: 'shop',
      profileId: bob.profileId,
      deliveryId: String(sent.deliveryId),
      runId: bob.runId,
      stepId: 'hello',
      channel: 'mail',
      playbookId,
      playbook: 'Outcomes',
      status: 'sent',
      providerId: String(sent.providerId),
      reason: null,
      at: new Date().toISOString(),
    };
    const log = { warn: () => undefined } as never;
    expect(await recordMessageOutcome({ id: 'replay-1', data: replay }, sender, { log, orm: stack.subgraphs.actions.deps.orm })).toBe('stored');
    expect(await recordMessageOutcome({ id: 'replay-2', data: replay }, sender, { log, orm: stack.subgraphs.actions.deps.orm })).toBe('stored');
    await recordMessageOutcome({ id: 'sentinel', data: { ...replay, deliveryId: randomUUID(), stepId: 'sentinel' } }, sender, { log, orm: stack.subgraphs.actions.deps.orm });
    await waitFor(async () => (await outcomesOf(bob.profileId)).some((e) => e.properties.stepId === 'sentinel'));
    expect((await outcomesOf(bob.profileId)).map((e) => e.properties.stepId)).toEqual(['ghost', 'hello', 'sentinel']);
  });

  it('records a provider’s complaint, posted to the gateway and signed with the channel secret, as Message Complained once', async () => {
    const channels = await gql(stack.gateway.url, `{ channels { id name } }`, {}, bearer(admin));
    const channelId = (channels.data?.channels as { id: string; name: string }[]).find((c) => c.name === 'mail')!.id;
    const secret = 'whsec_' + Buffer.from('the mail provider callback secret').toString('base64');
    const rotated = await gql(stack.gateway.url, `mutation($id: ID!, $s: String!) { rotateChannelSecret(id: $id, secret: $s) { id } }`, { id: channelId, s: secret }, bearer(admin));
    expect(rotated.errors).toBeUndefined();

    const steps = [{ id: 'hello', type: 'send', channel: 'mail', subject: 'Hello', body: 'Hello', next: null }];
    const created = await gql(stack.gateway.url, `mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id } }`, { input: { name: 'Complained', holdoutFraction: 0, steps } }, bearer(admin));
    const profile = await gql(stack.gateway.url, `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "u-dee" }] }) { id } }`, {}, bearer(admin));
    const profileId = profile.data?.upsertProfile.id as string;
    const run = await gql(stack.gateway.url, `mutation($p: ID!, $f: ID!, $t: JSONObject) { enrollInPlaybook(playbookId: $p, profileId: $f, traits: $t) { id } }`, { p: created.data?.createPlaybook.id, f: profileId, t: { email: 'dee@example.com' } }, bearer(agent));
    expect(run.errors).toBeUndefined();

    type Outcome = { name: string; messageId: string; properties: Record<string, unknown> };
    const messagesOf = async () =>
      (((await gql(stack.gateway.url, `query($f: ID!) { profile(id: $f) { events(types: ["track"]) { name messageId properties } } }`, { f: profileId }, bearer(agent))).data?.profile?.events ?? []) as Outcome[]).filter((e) =>
        e.name.startsWith('Message '),
      );
    await waitFor(async () => (await messagesOf()).some((e) => e.name === 'Message Sent'));
    const sent = (await messagesOf()).find((e) => e.name === 'Message Sent')!.properties;
    const url = `${gatewayBase}/v1/channels/${channelId}/delivery-status`;
    const messageId = String(sent.providerId);

    // a forged report is refused at the gateway's door; the provider's report, sent twice, is taken twice
    expect((await reportDelivery(url, 'whsec_' + Buffer.from('not the channel secret at all').toString('base64'), { messageId, status: 'complained' })).status).toBe(401);
    for (let i = 0; i < 2; i++) {
      expect(await reportDelivery(url, secret, { messageId, status: 'complained', reason: 'abuse' }, { id: `evt-${i}` })).toMatchObject({ status: 202, body: { deliveryId: sent.deliveryId } });
    }
    expect((await reportDelivery(url, secret, { messageId, status: 'delivered' })).status).toBe(202);
    // both reports recorded (their jobs run side by side); the complaint's second report added nothing
    await waitFor(async () => {
      const names = (await messagesOf()).map((e) => e.name);
      return names.includes('Message Delivered') && names.includes('Message Complained');
    });
    const complaints = (await messagesOf()).filter((e) => e.name === 'Message Complained');
    expect(complaints).toEqual([
      {
        name: 'Message Complained',
        messageId: `message-complained-${sent.deliveryId}`,
        properties: expect.objectContaining({ channel: 'mail', runId: run.data?.enrollInPlaybook.id, stepId: 'hello', status: 'complained', providerId: messageId, reason: 'abuse' }),
      },
    ]);
    // the ledger entry keeps the send's own outcome and lists the provider's reports, in the order they happened
    const ledger = await gql(stack.gateway.url, `query($f: ID!) { profile(id: $f) { actions { id status providerId reports { status reason } } } }`, { f: profileId }, bearer(agent));
    expect(ledger.errors).toBeUndefined();
    expect(ledger.data?.profile.actions).toEqual([
      { id: sent.deliveryId, status: 'sent', providerId: messageId, reports: [{ status: 'complained', reason: 'abuse' }, { status: 'delivered', reason: null }] },
    ]);
  });

  it('exports the tenant’s whole ledger page by page, newest first, filtered, and nothing of another tenant', async () => {
    const stored = await forkForTenant(stack.subgraphs.actions.deps.orm, 'shop').find(StepDelivery, { tenantId: 'shop' }, { orderBy: { id: 'desc' } });
    expect(stored.length).toBeGreaterThanOrEqual(3);
    const LEDGER = `query($first: Int!, $after: String, $filter: LedgerFilter) { ledger(first: $first, after: $after, filter: $filter) { id cursor status channel profileId } }`;
    type Entry = { id: string; cursor: string; status: string; channel: string; profileId: string };
    const exported: Entry[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await gql(stack.gateway.url, LEDGER, { first: 2, after }, bearer(agent));
      expect(page.errors).toBeUndefined();
      const entries = page.data?.ledger as Entry[];
      if (entries.length === 0) break;
      exported.push(...entries);
      after = entries[entries.length - 1].cursor;
    }
    expect(exported.map((e) => e.id)).toEqual(stored.map((d) => d.id));

    const one = stored[stored.length - 1];
    const filtered = await gql(stack.gateway.url, LEDGER, { first: 100, filter: { profileId: one.profileId, channel: one.channel, status: one.status } }, bearer(agent));
    const expected = stored.filter((d) => d.profileId === one.profileId && d.channel === one.channel && d.status === one.status).map((d) => d.id);
    expect((filtered.data?.ledger as Entry[]).map((e) => e.id)).toEqual(expected);
    const future = await gql(stack.gateway.url, LEDGER, { first: 100, filter: { from: new Date(Date.now() + 3_600_000).toISOString() } }, bearer(agent));
    expect(future.data?.ledger).toEqual([]);

    const rival = await stack.key('rival-ledger', ['profiles:read']);
    const theirs = await gql(stack.gateway.url, LEDGER, { first: 100 }, bearer(rival));
    expect(theirs.errors).toBeUndefined();
    expect(theirs.data?.ledger).toEqual([]);

    const badCursor = await gql(stack.gateway.url, LEDGER, { first: 2, after: 'not-a-cursor' }, bearer(agent));
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const backwards = await gql(stack.gateway.url, LEDGER, { first: 2, filter: { from: '2026-12-02T00:00:00Z', to: '2026-12-01T00:00:00Z' } }, bearer(agent));
    expect(backwards.errors?.[0]).toMatchObject({ message: expect.stringContaining('filter.to: must be after filter.from'), extensions: { code: 'BAD_USER_INPUT' } });
  });
});
