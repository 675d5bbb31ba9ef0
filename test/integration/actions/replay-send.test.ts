import type { Queue } from 'bullmq';

import { messageOutcomeEvent } from '../../../subgraphs/actions/domain/message-outcome-event';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { ContactPolicyService } from '../../../subgraphs/actions/services/contact-policy.service';
import { messageOutcomeJobId } from '../../../subgraphs/actions/services/message-outcome-handoff';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { recordMessageOutcome } from '../../../subgraphs/actions/workers/record-message-outcome.worker';
import { reconcileReplays } from '../../../subgraphs/actions/workers/reconcile-runs.worker';
import { CONTEXT_HEADER, signContext } from '../../../subgraphs/common/auth-context';
import { PLAYBOOK_STEP, REPLAY_SEND, replaySendJobId, type ReplaySendJob } from '../../../subgraphs/common/queues';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { recordingSender, useActionsWithProvider } from '../../fixtures/actions-with-provider';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { gql } from '../../fixtures/stack';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';
import { waitFor } from '../../fixtures/wait-for';

const GRACE_MS = 60_000;
const profile = (n: number) => `01a21228-0000-7000-8000-${String(n).padStart(12, '0')}`;
const REPLAY = `mutation($id: ID!) { replaySend(id: $id) { id status replays attempts } }`;

/**
 * `replaySend` with real Redis and real SQL: a playbook send dead-lettered against a local fake
 * provider is sent again once the provider is healed, on the same ledger row, without moving the
 * run; its outcome becomes a message event of its own; a replay whose job Redis lost is queued
 * again by the run reconciler from the row's marker.
 */
describe('replaySend', () => {
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T12:00:00Z');
  /** Each profile's current traits, as the profiles stage would give them; a test changes them. */
  const traits = new Map<string, Record<string, unknown>>();
  const collaborators: PlaybookCollaborators = {
    // one provider path per test, so one test's failures do not leak into another's
    channels: provider.resolver({ email: 'email', mail2: 'email', mail3: 'email', mail4: 'email', mail5: 'email', mail6: 'email', hook: 'webhook' }),
    traits: { traitsOf: (_tenantId, profileId) => Promise.resolve(traits.get(profileId) ?? { firstName: 'Ann', email: 'ann@example.com' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };
  const { sender, events: recorded } = recordingSender();
  const h = useActionsWithProvider(provider, collaborators, { SWEEP_GRACE_MS: String(GRACE_MS) });
  const replays = (): Queue<ReplaySendJob> => h.actions.deps.queues.get(REPLAY_SEND);

  const em = (tenantId: string) => forkForTenant(h.actions.deps.orm, tenantId);
  const replay = (tenantId: string, id: string, scopes = ['actions:write']) =>
    gql(h.actions.url, REPLAY, { id }, { [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes }, h.env.config.secret, 'actions', 60) });
  const deliveryOf = (tenantId: string, runId: string) => em(tenantId).findOneOrFail(StepDelivery, { runId }, { disableIdentityMap: true });
  const runOf = (tenantId: string, id: string) => em(tenantId).findOneOrFail(PlaybookRun, { id }, { disableIdentityMap: true });
  const key = (runId: string, replayNo = 0) => `run:${runId}:step:offer:1${replayNo ? `:replay${replayNo}` : ''}`;

  /**
   * Signals takes the dead-lettered send's `Message Failed` (its `record-message-outcome` job, run
   * here by hand: the harness runs no outcome worker), which clears the row's outcome marker.
   */
  async function failureRecorded(tenantId: string, delivery: StepDelivery) {
    const jobId = messageOutcomeJobId(tenantId, delivery.id, 'failed');
    await waitFor(async () => (await h.outcomes.getJob(jobId)) !== undefined);
    await recordMessageOutcome((await h.outcomes.getJob(jobId))!, sender, h.actions.deps);
    expect((await deliveryOf(tenantId, delivery.runId)).outcomeEventPendingSince).toBeNull();
  }

  /** Enrols `profileId` in a one-send playbook on `channel` (failure branch: `gave_up`) and waits for the send's outcome. */
  async function sendOnce(tenantId: string, channel: string, profileId: string, until: StepDelivery['status'][]) {
    const playbook = await createTreatingEveryone(em(tenantId), tenantId, {
      name: 'Offer',
      steps: [
        { id: 'offer', type: 'send', channel, subject: 'Hi {{profile.traits.firstName}}', body: 'An offer', next: 'thanks', onFailure: 'gave_up' },
        { id: 'thanks', type: 'exit' },
        { id: 'gave_up', type: 'exit' },
      ],
    });
    const run = await new PlaybookRunService(em(tenantId), tenantId, () => clock).enrolOne(h.actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profileId, 'test');
    await waitFor(async () => (await runOf(tenantId, run.id)).status === 'completed');
    const delivery = await deliveryOf(tenantId, run.id);
    expect(until).toContain(delivery.status);
    return { run: await runOf(tenantId, run.id), delivery };
  }

  /** A send on `channel` dead-lettered at once (a final 400), its Message Failed recorded, the provider healed. */
  async function deadLettered(tenantId: string, channel: string, profileId: string) {
    provider.respond.set(channel, 400);
    const sent = await sendOnce(tenantId, channel, profileId, ['failed']);
    await failureRecorded(tenantId, sent.delivery);
    provider.respond.delete(channel);
    return sent;
  }

  it('sends a send dead-lettered on retryable errors again once the provider is healed: same row, new key, its own Message Sent, the run untouched', async () => {
    const tenantId = 'replay-healed';
    provider.respond.set('email', 503);
    const { run, delivery } = await sendOnce(tenantId, 'email', profile(1), ['failed']);
    expect(delivery).toMatchObject({ attempts: 3, replays: 0, error: 'status 503' });
    expect(provider.of('email', key(run.id))).toHaveLength(3);
    expect(run.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['offer:failed', 'gave_up:exited']);
    const failedJobId = messageOutcomeJobId(tenantId, delivery.id, 'failed');
    await waitFor(async () => (await h.outcomes.getJob(failedJobId)) !== undefined);

    provider.respond.delete('email');
    // its Message Failed is not recorded yet: a replay now would rewrite the row that event is
    // rebuilt from if its job were lost, so it is refused, to be tried again in a moment
    const early = await replay(tenantId, delivery.id);
    expect(early.errors?.[0]).toMatchObject({ message: expect.stringContaining('still being recorded'), extensions: { code: 'CONFLICT', retryAfterSeconds: 5 } });
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'failed', replays: 0, replayRequestedAt: null });
    await failureRecorded(tenantId, delivery);
    const res = await replay(tenantId, delivery.id);
    expect(res.errors).toBeUndefined();
    expect(res.data!.replaySend).toEqual({ id: delivery.id, status: 'claimed', replays: 1, attempts: 0 });
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).status === 'sent');

    const replayed = await deliveryOf(tenantId, run.id);
    const calls = provider.of('email', key(run.id, 1));
    expect(calls).toHaveLength(1);
    // a fresh call the provider does not dedupe against the first send's, rendered again
    expect(calls[0].idempotencyKey).not.toBe(key(run.id));
    expect(calls[0].message).toMatchObject({ to: 'ann@example.com', subject: 'Hi Ann', origin: { deliveryId: delivery.id } });
    expect(provider.of('email', key(run.id))).toHaveLength(3);
    expect(replayed).toMatchObject({ id: delivery.id, status: 'sent', replays: 1, attempts: 1, error: null, replayRequestedAt: null, providerId: `msg-${provider.requests.indexOf(calls[0]) + 1}` });
    expect(replayed.outcomeEventPendingSince).toEqual(clock);

    // the replay's outcome is an event of its own, beside the first send's Message Failed
    const sentJobId = messageOutcomeJobId(tenantId, delivery.id, 'sent', undefined, 1);
    expect(sentJobId).not.toBe(failedJobId);
    await waitFor(async () => (await h.outcomes.getJob(sentJobId)) !== undefined);
    const sentJob = (await h.outcomes.getJob(sentJobId))!;
    expect(sentJob.data).toMatchObject({ deliveryId: delivery.id, status: 'sent', replay: 1, providerId: replayed.providerId, playbook: 'Offer' });
    const failedJob = (await h.outcomes.getJob(failedJobId))!;
    expect(failedJob.data.replay).toBeUndefined();
    expect([messageOutcomeEvent(failedJob.data), messageOutcomeEvent(sentJob.data)].map((e) => [e.event, e.messageId])).toEqual([
      ['Message Failed', `message-failed-${delivery.id}`],
      ['Message Sent', `message-sent-${delivery.id}-replay1`],
    ]);
    // a late copy of the first outcome's job (a retry) does not clear the replay's marker; the replay's own does
    await recordMessageOutcome(failedJob, sender, h.actions.deps);
    expect((await deliveryOf(tenantId, run.id)).outcomeEventPendingSince).toEqual(clock);
    await recordMessageOutcome(sentJob, sender, h.actions.deps);
    expect((await deliveryOf(tenantId, run.id)).outcomeEventPendingSince).toBeNull();
    expect(recorded.map((e) => e.messageId)).toEqual([`message-failed-${delivery.id}`, `message-failed-${delivery.id}`, `message-sent-${delivery.id}-replay1`]);

    // the run already followed its failure branch: not rewound, not moved
    const after = await runOf(tenantId, run.id);
    expect({ status: after.status, stepId: after.stepId, visit: after.visit, history: after.history, updatedAt: after.updatedAt }).toEqual({
      status: run.status, stepId: run.stepId, visit: run.visit, history: run.history, updatedAt: run.updatedAt,
    });

    // a sent entry is not replayable; the ledger shows the replay
    const again = await replay(tenantId, delivery.id);
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
    const ledger = await gql(h.actions.url, `{ ledger(first: 10) { id status replays } }`, {}, { [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes: ['profiles:read'] }, h.env.config.secret, 'actions', 60) });
    expect(ledger.data!.ledger).toEqual([{ id: delivery.id, status: 'sent', replays: 1 }]);
  });

  it('refuses a skipped entry, another tenant’s entry (NOT_FOUND, nothing changed) and a key without actions:write', async () => {
    const tenantId = 'replay-refused';
    traits.set(profile(2), { firstName: 'Bo', email: 'bo@example.com', doNotContact: true });
    const skipped = (await sendOnce(tenantId, 'mail2', profile(2), ['skipped'])).delivery;
    expect(skipped.error).toBe('doNotContact');
    expect((await replay(tenantId, skipped.id)).errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });

    // dead-lettered at once: a final (non-retryable) provider answer
    provider.respond.set('mail2', 400);
    const { delivery: failed } = await sendOnce(tenantId, 'mail2', profile(3), ['failed']);
    const other = await replay('replay-intruder', failed.id);
    expect(other.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const forbidden = await replay(tenantId, failed.id, ['profiles:read']);
    expect(forbidden.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await deliveryOf(tenantId, failed.runId)).toMatchObject({ status: 'failed', replays: 0, replayRequestedAt: null, attempts: 1 });
    expect(await replays().getJob(replaySendJobId(tenantId, failed.id, 1))).toBeUndefined();
    const notAnId = await replay(tenantId, 'nope');
    expect(notAnId.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });

  it('honours consent traits set since the first send: the replay is skipped with the reason, as a Message Failed of its own', async () => {
    const tenantId = 'replay-consent';
    const { run, delivery } = await deadLettered(tenantId, 'mail3', profile(4));
    traits.set(profile(4), { firstName: 'Cy', email: 'cy@example.com', doNotContact: true });
    expect((await replay(tenantId, delivery.id)).errors).toBeUndefined();
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).status === 'skipped');
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'skipped', error: 'doNotContact', replays: 1, replayRequestedAt: null });
    expect(provider.of('mail3', key(run.id, 1))).toHaveLength(0);
    const jobId = messageOutcomeJobId(tenantId, delivery.id, 'skipped', undefined, 1);
    await waitFor(async () => (await h.outcomes.getJob(jobId)) !== undefined);
    expect(messageOutcomeEvent((await h.outcomes.getJob(jobId))!.data)).toMatchObject({ event: 'Message Failed', messageId: `message-skipped-${delivery.id}-replay1` });
  });

  it('defers a replay that falls in quiet hours to their end', async () => {
    const tenantId = 'replay-quiet';
    const { run, delivery } = await deadLettered(tenantId, 'mail5', profile(6));
    // 12:00 UTC falls in 11:00–13:00 quiet hours
    await new ContactPolicyService(em(tenantId), tenantId, () => clock).set({ channel: 'mail5', quietHoursStart: '11:00', quietHoursEnd: '13:00', timezone: 'UTC' });
    expect((await replay(tenantId, delivery.id)).errors).toBeUndefined();
    const end = new Date('2026-03-10T13:00:00Z');
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).replayRequestedAt?.getTime() === end.getTime());
    await waitFor(async () => (await replays().getJob(replaySendJobId(tenantId, delivery.id, 1)))?.isDelayed() ?? false);
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'claimed', replays: 1, attempts: 0 });
    expect(provider.of('mail5', key(run.id, 1))).toHaveLength(0);
    // deferred, not lost: the reconciler leaves it alone until its due time has passed the grace period
    expect(await reconcileReplays(h.actions.deps, new Date(clock.getTime() + GRACE_MS + 1))).toBe(0);
  });

  it('re-queues a replay whose job Redis lost, from the row’s marker after the grace period, and sends it exactly once', async () => {
    const tenantId = 'replay-lost';
    const { run, delivery } = await deadLettered(tenantId, 'mail4', profile(5));

    // the job is lost right after the mutation's commit (a Redis flush)
    await replays().pause();
    expect((await replay(tenantId, delivery.id)).errors).toBeUndefined();
    await replays().obliterate({ force: true });
    await replays().resume();
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'claimed', replays: 1, replayRequestedAt: clock });

    expect(await reconcileReplays(h.actions.deps, new Date(clock.getTime() + GRACE_MS / 2))).toBe(0);
    expect(await reconcileReplays(h.actions.deps, new Date(clock.getTime() + GRACE_MS + 1))).toBe(1);
    const swept = (await replays().getJobs(['waiting', 'active', 'completed', 'delayed'])).filter((j) => j.data.tenantId === tenantId);
    expect(swept.map((j) => j.id)).toEqual([expect.stringMatching(new RegExp(`^${replaySendJobId(tenantId, delivery.id, 1)}-swept\\d+$`))]);
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).status === 'sent');
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ replays: 1, replayRequestedAt: null });
    expect(await reconcileReplays(h.actions.deps, new Date(clock.getTime() + 10 * GRACE_MS))).toBe(0);
    expect(provider.of('mail4', key(run.id, 1))).toHaveLength(1);
  });

  it('makes one replay of several sent at once: one is accepted, the others are refused, and the provider is called once', async () => {
    const tenantId = 'replay-concurrent';
    const { run, delivery } = await deadLettered(tenantId, 'mail6', profile(7));
    const answers = await Promise.all([1, 2, 3, 4].map(() => replay(tenantId, delivery.id)));
    const accepted = answers.filter((a) => !a.errors);
    expect(accepted.map((a) => a.data!.replaySend)).toEqual([{ id: delivery.id, status: 'claimed', replays: 1, attempts: 0 }]);
    expect(answers.filter((a) => a.errors).map((a) => a.errors![0].extensions?.code)).toEqual(['CONFLICT', 'CONFLICT', 'CONFLICT']);
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).status === 'sent');
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'sent', replays: 1, attempts: 1 });
    expect(provider.of('mail6', key(run.id, 1))).toHaveLength(1);
    expect(await replays().getJob(replaySendJobId(tenantId, delivery.id, 2))).toBeUndefined();
  });

  it('replays a dead-lettered webhook step too: the partner system gets the call once, under a new key, and the run is not moved', async () => {
    const tenantId = 'replay-webhook';
    provider.respond.set('hook', 503);
    const playbook = await createTreatingEveryone(em(tenantId), tenantId, {
      name: 'Tell the CRM',
      steps: [
        { id: 'offer', type: 'webhook', channel: 'hook', data: { note: 'at risk: {{profile.traits.firstName}}' }, next: 'done', onFailure: 'gave_up' },
        { id: 'done', type: 'exit' },
        { id: 'gave_up', type: 'exit' },
      ],
    });
    const enrolled = await new PlaybookRunService(em(tenantId), tenantId, () => clock).enrolOne(h.actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(8), 'test');
    await waitFor(async () => (await runOf(tenantId, enrolled.id)).status === 'completed');
    const run = await runOf(tenantId, enrolled.id);
    expect(run.history.map((x) => `${x.stepId}:${x.outcome}`)).toEqual(['offer:failed', 'gave_up:exited']);
    const delivery = await deliveryOf(tenantId, run.id);
    expect(delivery).toMatchObject({ status: 'failed', channel: 'hook', attempts: 3, error: 'status 503' });
    expect(provider.of('hook', key(run.id))).toHaveLength(3);

    provider.respond.delete('hook');
    const res = await replay(tenantId, delivery.id);
    expect(res.errors).toBeUndefined();
    await waitFor(async () => (await deliveryOf(tenantId, run.id)).status === 'sent');
    const calls = provider.of('hook', key(run.id, 1));
    expect(calls).toHaveLength(1);
    expect(calls[0].message).toMatchObject({ type: 'playbook.webhook', payload: { data: { note: 'at risk: Ann' }, runId: run.id, stepId: 'offer' } });
    expect(calls[0].idempotencyKey).toBe(key(run.id, 1));
    expect(await deliveryOf(tenantId, run.id)).toMatchObject({ status: 'sent', replays: 1, attempts: 1, replayRequestedAt: null });
    const after = await runOf(tenantId, run.id);
    expect({ status: after.status, history: after.history }).toEqual({ status: run.status, history: run.history });
  });
});
