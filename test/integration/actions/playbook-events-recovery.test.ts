import { uuidv7 } from 'uuidv7';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { PLAYBOOK_EVENTS, PLAYBOOK_EVENTS_DONE, PLAYBOOK_STEP, playbookEventsJobId } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { playbookEventsDone } from '../../../subgraphs/signals/workers/playbook-events-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';
import { waitFor } from '../../fixtures/wait-for';
import { CHURN_PLAYBOOK } from '../../unit/actions/domain/playbook-fixtures';

const HOUR = 3600_000;
const GRACE_MS = 60_000;

/**
 * The whole chain of the playbook-events hand-off with real Redis and real SQL: signals' detect
 * pass hands an `Email Opened` to actions, Redis loses the job, and the sweeper's re-send still
 * moves the waiting run on its onEvent branch, exactly once.
 */
describe('applyPlaybookEvents after a lost playbook-events job', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  let clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email', sms: 'sms' }),
    traits: { traitsOf: () => Promise.resolve({ firstName: 'Ann', email: 'ann@example.com', phone: '+33600000000' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    await provider.start();
    // the scheduled sweeps stay out of the way (the test sweeps, with its own clock)
    env = await createTestEnv({ SWEEP_GRACE_MS: String(GRACE_MS), SWEEP_INTERVAL_MS: '3600000' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
  }, 120_000);
  afterAll(async () => {
    await actions?.close();
    await signals?.close();
    await env?.cleanup();
    await provider.stop();
  });

  const runOf = (tenantId: string, id: string) => forkForTenant(actions.deps.orm, tenantId).findOne(PlaybookRun, { id }, { disableIdentityMap: true });
  const markerOf = async (id: string) => (await forkAcrossTenants(signals.deps.orm).findOneOrFail(Event, { id }, { disableIdentityMap: true })).playbookEventsPendingSince;

  it('moves a run waiting for Email Opened on its onEvent branch once the sweeper re-sends the lost job, and never twice', async () => {
    const tenantId = 'pb-chain';
    const profileId = uuidv7();
    const em = forkForTenant(actions.deps.orm, tenantId);
    const playbook = await createTreatingEveryone(em, tenantId, CHURN_PLAYBOOK);
    const run = await new PlaybookRunService(em, tenantId, () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profileId, 'test');
    await waitFor(async () => (await runOf(tenantId, run.id))?.stepId === 'opened');

    // the open arrives an hour later; actions' worker is held back so Redis can lose the job first
    clock = new Date(clock.getTime() + HOUR);
    const queue = actions.deps.queues.get(PLAYBOOK_EVENTS);
    await queue.pause();
    const event = forkAcrossTenants(signals.deps.orm).create(Event, {
      tenantId,
      messageId: uuidv7(),
      type: 'track',
      name: 'Email Opened',
      properties: { step: 'email' },
      userId: 'ann',
      timestamp: clock,
      receivedAt: new Date(),
    });
    await forkAcrossTenants(signals.deps.orm).persistAndFlush(event);
    await eventResolved({ id: `pass-${event.id}`, data: { tenantId, events: [{ eventId: event.id, profileId }] } }, signals.deps);
    await signals.deps.queues.flushAcks(); // the hand-off is held for the ack window
    expect(await queue.getJob(playbookEventsJobId(tenantId, [event.id]))).toBeDefined();
    await queue.obliterate({ force: true });
    await queue.resume();
    const pendingSince = (await markerOf(event.id))!.getTime();

    // within the grace period nothing is re-sent; after it, the re-send moves the run
    await sweepEvents(signals.deps, new Date(pendingSince + GRACE_MS / 2));
    expect(await queue.getJobCounts('waiting', 'prioritized', 'active', 'completed')).toEqual({ waiting: 0, prioritized: 0, active: 0, completed: 0 });
    expect(await runOf(tenantId, run.id)).toMatchObject({ status: 'waiting', stepId: 'opened' });
    await sweepEvents(signals.deps, new Date(pendingSince + GRACE_MS + 1));
    await waitFor(async () => (await runOf(tenantId, run.id))?.status === 'completed');
    const moved = (await runOf(tenantId, run.id))!;
    expect(moved.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['email:sent', 'opened:event', 'done:exited']);

    // actions acknowledged the re-send; signals clears the marker, and the next sweep sends nothing
    const acks = actions.deps.queues.get(PLAYBOOK_EVENTS_DONE);
    const acksOf = async () => (await acks.getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.data.tenantId === tenantId);
    await waitFor(async () => (await acksOf()).length > 0);
    const [ack] = await acksOf();
    expect(ack.data).toEqual({ tenantId, eventIds: [event.id], upTo: new Date(pendingSince).toISOString() });
    await playbookEventsDone(ack, signals.deps);
    expect(await markerOf(event.id)).toBeNull();
    await sweepEvents(signals.deps, new Date(pendingSince + 10 * GRACE_MS));
    expect(await queue.getJobCounts('waiting', 'prioritized')).toEqual({ waiting: 0, prioritized: 0 });

    // the same batch matched once more (a re-send racing the acknowledgement) moves nothing
    const again = { tenantId, events: [{ eventId: event.id, profileId, name: 'Email Opened', properties: { step: 'email' }, occurredAt: event.timestamp.toISOString() }] };
    expect(await applyPlaybookEvents({ id: 'again', data: again }, actions.deps, () => clock)).toBe(0);
    expect((await runOf(tenantId, run.id))!.history).toEqual(moved.history);
    expect(provider.of('sms').filter((r) => r.message.profileId === profileId)).toHaveLength(0);
  });

  it('does not move a run twice when the re-sent event matches the wait it moved on to', async () => {
    const tenantId = 'pb-twice';
    const profileId = uuidv7();
    const em = forkForTenant(actions.deps.orm, tenantId);
    const playbook = await createTreatingEveryone(em, tenantId, {
      name: 'Two opens',
      steps: [
        { id: 'first', type: 'waitForEvent', event: 'Email Opened', where: [], timeoutSeconds: 24 * 3600, onEvent: 'second', onTimeout: 'done' },
        { id: 'second', type: 'waitForEvent', event: 'Email Opened', where: [], timeoutSeconds: 24 * 3600, onEvent: 'done', onTimeout: 'done' },
        { id: 'done', type: 'exit' },
      ],
    });
    const run = await new PlaybookRunService(em, tenantId, () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profileId, 'test');
    await waitFor(async () => (await runOf(tenantId, run.id))?.stepId === 'first');
    clock = new Date(clock.getTime() + HOUR);
    const batch = { tenantId, events: [{ eventId: uuidv7(), profileId, name: 'Email Opened', properties: {}, occurredAt: clock.toISOString() }] };
    // matched a second later, as the worker would
    clock = new Date(clock.getTime() + 1000);
    expect(await applyPlaybookEvents({ id: 'first', data: batch }, actions.deps, () => clock)).toBe(1);
    await waitFor(async () => (await runOf(tenantId, run.id))?.stepId === 'second');
    const moved = (await runOf(tenantId, run.id))!;
    // the sweeper's re-send of the same batch: the event happened before the run began its second wait
    clock = new Date(clock.getTime() + GRACE_MS);
    expect(await applyPlaybookEvents({ id: 'first-swept', data: batch }, actions.deps, () => clock)).toBe(0);
    expect(await runOf(tenantId, run.id)).toMatchObject({ status: 'waiting', stepId: 'second', visit: moved.visit });
  });
});
