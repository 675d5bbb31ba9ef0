import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { messageOutcomeJobId } from '../../../subgraphs/actions/services/message-outcome-handoff';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { recordMessageOutcome } from '../../../subgraphs/actions/workers/record-message-outcome.worker';
import { reconcileMessageOutcomes } from '../../../subgraphs/actions/workers/reconcile-runs.worker';
import { PLAYBOOK_STEP } from '../../../subgraphs/common/queues';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { recordingSender, useActionsWithProvider } from '../../fixtures/actions-with-provider';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';
import { waitFor } from '../../fixtures/wait-for';

const GRACE_MS = 60_000;
const profile = (n: number) => `01a21227-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * The actions → event stream hand-off of a send's outcome (`record-message-outcome`) with real
 * Redis and real SQL: the outbox row is marked with its outcome, a job lost from Redis is re-queued
 * by the run reconciler after the grace period, and re-queueing stops once the event is recorded.
 */
describe('reconcileMessageOutcomes', () => {
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email' }),
    traits: { traitsOf: () => Promise.resolve({ firstName: 'Ann', email: 'ann@example.com' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };
  const { sender, events: stored } = recordingSender();
  const h = useActionsWithProvider(provider, collaborators, { SWEEP_GRACE_MS: String(GRACE_MS) });

  const deliveryOf = async (tenantId: string, runId: string) => forkForTenant(h.actions.deps.orm, tenantId).findOne(StepDelivery, { runId }, { disableIdentityMap: true });
  const jobsOf = async (tenantId: string) => (await h.outcomes.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed'])).filter((j) => j.data.tenantId === tenantId);

  it('marks a send’s outcome pending, re-queues its lost job only after the grace period, and stops once the event is recorded', async () => {
    const tenantId = 'outcome-lost';
    const em = forkForTenant(h.actions.deps.orm, tenantId);
    const playbook = await createTreatingEveryone(em, tenantId, {
      name: 'Hello',
      steps: [{ id: 'hello', type: 'send', channel: 'email', subject: 'Hi', html: '<p>Hi</p>', next: null }],
    });
    const run = await new PlaybookRunService(em, tenantId, () => clock).enrolOne(h.actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(1), 'test');
    await waitFor(async () => (await deliveryOf(tenantId, run.id))?.status === 'sent');
    const delivery = (await deliveryOf(tenantId, run.id))!;
    expect(delivery.outcomeEventPendingSince).toEqual(clock);
    const firstId = messageOutcomeJobId(tenantId, delivery.id, 'sent');
    await waitFor(async () => (await h.outcomes.getJob(firstId)) !== undefined);
    const first = (await h.outcomes.getJob(firstId))!.data;
    expect(first).toMatchObject({ deliveryId: delivery.id, runId: run.id, playbookId: playbook.playbookId, playbook: 'Hello', status: 'sent', channel: 'email' });

    // Redis loses the job (a flush): only the outbox row remembers the event
    await h.outcomes.obliterate({ force: true });
    await h.outcomes.pause();
    expect(await reconcileMessageOutcomes(h.actions.deps, new Date(clock.getTime() + GRACE_MS / 2))).toBe(0);
    expect(await jobsOf(tenantId)).toEqual([]);
    expect(await reconcileMessageOutcomes(h.actions.deps, new Date(clock.getTime() + GRACE_MS + 1))).toBe(1);
    const [resent] = await jobsOf(tenantId);
    expect(resent.id).toMatch(new RegExp(`^${firstId}-swept\\d+$`));
    // the same event as the first job would have recorded (its messageId names row and outcome)
    expect(resent.data).toEqual(first);

    expect(await recordMessageOutcome(resent, sender, h.actions.deps)).toBe('stored');
    expect(stored.map((e) => e.messageId)).toEqual([`message-sent-${delivery.id}`]);
    expect((await deliveryOf(tenantId, run.id))!.outcomeEventPendingSince).toBeNull();
    await h.outcomes.obliterate({ force: true });
    await h.outcomes.pause();
    expect(await reconcileMessageOutcomes(h.actions.deps, new Date(clock.getTime() + 10 * GRACE_MS))).toBe(0);
    expect(await jobsOf(tenantId)).toEqual([]);
  });
});
