import { createHmac } from 'node:crypto';

import { DeliveryReport } from '../../../subgraphs/actions/entities/delivery-report.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { ChannelService } from '../../../subgraphs/actions/services/channel.service';
import { DeliveryLedgerService } from '../../../subgraphs/actions/services/delivery-ledger.service';
import { signCallback } from '../../../subgraphs/actions/services/channels/callback-signature';
import { SecretBox } from '../../../subgraphs/actions/services/channels/secret-box';
import { messageOutcomeJobId, resendPendingDeliveryReports } from '../../../subgraphs/actions/services/message-outcome-handoff';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { recordMessageOutcome } from '../../../subgraphs/actions/workers/record-message-outcome.worker';
import { PLAYBOOK_STEP } from '../../../subgraphs/common/queues';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { recordingSender, useActionsWithProvider } from '../../fixtures/actions-with-provider';
import { FakeChannelProvider, reportDelivery } from '../../fixtures/fake-channel-provider';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';
import { waitFor } from '../../fixtures/wait-for';

const SECRET = 'whsec_' + Buffer.from('a provider signing secret of 32 bytes!').toString('base64');
const profile = (n: number) => `01a21227-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A provider's delivery-status callback on the actions service with real Redis and real SQL: a
 * playbook sends an SMS through a local fake provider (which answers with its message id), the
 * provider reports on it, signed with the channel's secret, and the report becomes one
 * `record-message-outcome` job, recorded as `Message Delivered` / `Bounced` / `Complained`.
 */
describe('POST /v1/channels/:channelId/delivery-status', () => {
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ text: 'sms' }),
    traits: { traitsOf: () => Promise.resolve({ firstName: 'Ann', phone: '+447700900123' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };
  const { sender, events: stored } = recordingSender();
  const h = useActionsWithProvider(provider, collaborators);
  const base = () => h.actions.url.replace(/\/graphql$/, '');

  /** A tenant with an SMS channel `text` (secret SECRET) and one message sent on it: the row and the callback URL. */
  async function sentMessage(tenantId: string) {
    const em = forkForTenant(h.actions.deps.orm, tenantId);
    const channel = await new ChannelService(em, tenantId, new SecretBox(h.env.config.secret), 0).create({
      name: 'text',
      kind: 'sms',
      config: { baseUrl: 'https://sms.example.com', accountSid: 'AC1', from: '+15005550006' },
      secret: SECRET,
    });
    const playbook = await createTreatingEveryone(em, tenantId, { name: 'Nudge', steps: [{ id: 'sms', type: 'send', channel: 'text', body: 'Hi', next: null }] });
    const run = await new PlaybookRunService(em, tenantId, () => clock).enrolOne(h.actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(1), 'test');
    const deliveryOf = () => em.fork().findOne(StepDelivery, { runId: run.id }, { disableIdentityMap: true });
    await waitFor(async () => (await deliveryOf())?.status === 'sent');
    const delivery = (await deliveryOf())!;
    expect(delivery.providerId).toMatch(/^msg-\d+$/);
    return { delivery, playbookId: playbook.playbookId, url: `${base()}/v1/channels/${channel.id}/delivery-status` };
  }

  // the send's own `Message Sent` job is queued too; the tests look at the reports only
  it('records a delivery, a bounce and a complaint once each, however often the provider reports them', async () => {
    const tenantId = 'callback-ok';
    const { delivery, playbookId, url } = await sentMessage(tenantId);
    const messageId = delivery.providerId!;
    for (const status of ['delivered', 'delivered', 'complained', 'bounced', 'complained'] as const) {
      const answer = await reportDelivery(url, SECRET, { messageId, status, ...(status === 'bounced' ? { reason: '550 mailbox full', occurredAt: '2026-03-10T08:01:00Z' } : {}) }, { now: clock });
      expect(answer).toEqual({ status: 202, body: { accepted: true, code: 'ACCEPTED', message: `${status} recorded`, deliveryId: delivery.id } });
    }
    const jobs = (await h.outcomes.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId && j.data.status !== 'sent');
    expect(jobs.map((j) => j.id).sort()).toEqual(['bounced', 'complained', 'delivered'].map((s) => messageOutcomeJobId(tenantId, delivery.id, s)).sort());
    const bounced = jobs.find((j) => j.data.status === 'bounced')!;
    expect(bounced.data).toEqual({ tenantId, profileId: profile(1), deliveryId: delivery.id, runId: delivery.runId, stepId: 'sms', channel: 'text', playbookId, playbook: 'Nudge', status: 'bounced', providerId: messageId, reason: '550 mailbox full', at: '2026-03-10T08:01:00.000Z' });

    for (const job of jobs) await recordMessageOutcome(job, sender, h.actions.deps);
    expect(stored.map((e) => [e.event, e.messageId]).sort()).toEqual([
      ['Message Bounced', `message-bounced-${delivery.id}`],
      ['Message Complained', `message-complained-${delivery.id}`],
      ['Message Delivered', `message-delivered-${delivery.id}`],
    ]);
    // a report leaves the send's own outcome alone
    const row = await forkForTenant(h.actions.deps.orm, tenantId).findOneOrFail(StepDelivery, { id: delivery.id }, { disableIdentityMap: true });
    expect(row.status).toBe('sent');
    // the ledger lists each report once, oldest first (the bounce said 08:01; the others arrived at 08:00)
    const reports = await new DeliveryLedgerService(forkForTenant(h.actions.deps.orm, tenantId), tenantId).reportsOn(delivery.id);
    expect(reports.map((r) => [r.status, r.reason])).toEqual([
      ['delivered', null],
      ['complained', null],
      ['bounced', '550 mailbox full'],
    ]);
    // another tenant's ledger sees none of them, even asked for this row
    expect(await new DeliveryLedgerService(forkForTenant(h.actions.deps.orm, 'callback-other'), 'callback-other').reportsOn(delivery.id)).toEqual([]);
  });

  it('takes Twilio’s own status callback, signed with X-Twilio-Signature over the public callback URL: a bounce recorded once, a status on the way ignored', async () => {
    const tenantId = 'callback-twilio';
    const { delivery, url } = await sentMessage(tenantId);
    const channelId = /\/v1\/channels\/([^/]+)\//.exec(url)![1];
    // what Twilio was given as StatusCallback, and signs: the public URL, not the service's own
    const publicUrl = `${h.env.config.publicUrl}/v1/channels/${channelId}/delivery-status`;
    // Twilio's algorithm, written here independently of the service's code
    const sign = (params: Record<string, string>, secret = SECRET) =>
      createHmac('sha1', secret).update(publicUrl + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');
    const post = (params: Record<string, string>, signature = sign(params)) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() });
    const status = (s: string, extra: Record<string, string> = {}) => ({ AccountSid: 'AC1', MessageSid: delivery.providerId!, MessageStatus: s, To: '+447700900123', ...extra });

    const sent = await post(status('sent'));
    expect(sent.status).toBe(200);
    expect(await sent.json()).toMatchObject({ accepted: true, code: 'IGNORED' });
    for (let i = 0; i < 2; i++) {
      const undelivered = await post(status('undelivered', { ErrorCode: '30003' }));
      expect(undelivered.status).toBe(202);
      expect(await undelivered.json()).toMatchObject({ accepted: true, deliveryId: delivery.id });
    }
    expect((await post(status('delivered'), sign(status('delivered'), 'another auth token'))).status).toBe(401);
    expect((await post(status('delivered'), '')).status).toBe(401);
    const missing = await post({ AccountSid: 'AC1' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ field: 'MessageSid' }, { field: 'MessageStatus' }] });

    const reports = await new DeliveryLedgerService(forkForTenant(h.actions.deps.orm, tenantId), tenantId).reportsOn(delivery.id);
    expect(reports.map((r) => [r.status, r.reason])).toEqual([['bounced', 'undelivered (error 30003)']]);
    const jobs = (await h.outcomes.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId && j.data.status !== 'sent');
    expect(jobs.map((j) => j.id)).toEqual([messageOutcomeJobId(tenantId, delivery.id, 'bounced')]);
  });

  it('queues a report again from SQL when Redis lost its job, and stops once its event is in the stream', async () => {
    const tenantId = 'callback-lost';
    const { delivery, url } = await sentMessage(tenantId);
    const answer = await reportDelivery(url, SECRET, { messageId: delivery.providerId!, status: 'delivered', occurredAt: '2026-03-10T08:02:00Z' }, { now: clock });
    expect(answer.status).toBe(202);
    const reportOf = () => forkForTenant(h.actions.deps.orm, tenantId).findOneOrFail(DeliveryReport, { deliveryId: delivery.id, status: 'delivered' }, { disableIdentityMap: true });
    expect((await reportOf()).pendingSince).not.toBeNull();
    // the job is lost (a flush) before the worker took it
    const first = await h.outcomes.getJob(messageOutcomeJobId(tenantId, delivery.id, 'delivered'));
    await first!.remove();
    const reportJobs = async () => (await h.outcomes.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId && j.data.status === 'delivered');
    expect(await reportJobs()).toEqual([]);

    const later = new Date(Date.now() + 1_000);
    expect(await resendPendingDeliveryReports(forkAcrossTenants(h.actions.deps.orm), h.actions.deps.queues, 0, later)).toBeGreaterThanOrEqual(1);
    const [resent] = await reportJobs();
    expect(resent.id).toMatch(new RegExp(`^${messageOutcomeJobId(tenantId, delivery.id, 'delivered')}-swept`));
    expect(resent.data).toMatchObject({ deliveryId: delivery.id, status: 'delivered', at: '2026-03-10T08:02:00.000Z', providerId: delivery.providerId });
    await recordMessageOutcome(resent, sender, h.actions.deps);
    expect(stored.filter((e) => e.messageId === `message-delivered-${delivery.id}`)).toHaveLength(1);
    expect((await reportOf()).pendingSince).toBeNull();
    await resent.remove();
    // recorded: the next pass sends nothing for it
    await resendPendingDeliveryReports(forkAcrossTenants(h.actions.deps.orm), h.actions.deps.queues, 0, new Date(later.getTime() + 60_000));
    expect(await reportJobs()).toEqual([]);
  });

  it('refuses a bad signature (401), bad input (400 naming the field) and an unknown message or channel (404), queueing nothing', async () => {
    const tenantId = 'callback-refused';
    const { delivery, url } = await sentMessage(tenantId);
    const messageId = delivery.providerId!;
    const post = (headers: Record<string, string>, body: string, to = url) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const signed = (body: string, secret = SECRET, at = clock) => post(signCallback(secret, 'evt-1', body, at) as unknown as Record<string, string>, body);
    const good = JSON.stringify({ messageId, status: 'delivered' });

    // another secret, no signature, a body changed after signing, a stale timestamp (replay)
    expect((await signed(good, 'whsec_' + Buffer.from('someone else entirely, 32 bytes').toString('base64'))).status).toBe(401);
    expect((await post({}, good)).status).toBe(401);
    const headers = signCallback(SECRET, 'evt-1', good, clock) as unknown as Record<string, string>;
    expect((await post(headers, JSON.stringify({ messageId, status: 'complained' }))).status).toBe(401);
    const stale = await signed(good, SECRET, new Date(clock.getTime() - 10 * 60_000));
    expect(stale.status).toBe(401);
    expect(await stale.json()).toMatchObject({ accepted: false, code: 'BAD_SIGNATURE' });

    const bad = await signed(JSON.stringify({ messageId: '', status: 'opened', occurredAt: 'soon' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'BAD_USER_INPUT', errors: [{ field: 'messageId' }, { field: 'status' }, { field: 'occurredAt' }] });
    const notJson = await signed('{"messageId":');
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ code: 'INVALID_JSON' });

    const unknown = await signed(JSON.stringify({ messageId: 'msg-never-sent', status: 'delivered' }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'UNKNOWN_MESSAGE' });
    expect((await post({}, good, `${base()}/v1/channels/01a21227-0000-7000-8000-000000000000/delivery-status`)).status).toBe(404);
    expect((await post({}, good, `${base()}/v1/channels/not-an-id/delivery-status`)).status).toBe(404);
    expect((await post({}, good, `${base()}/v1/channels/%zz%/delivery-status`)).status).toBe(404);

    const jobs = (await h.outcomes.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === tenantId && j.data.status !== 'sent');
    expect(jobs).toEqual([]);
  });
});
