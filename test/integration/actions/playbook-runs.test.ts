import { UnrecoverableError } from 'bullmq';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { Task } from '../../../subgraphs/actions/entities/task.entity';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { RunStepService } from '../../../subgraphs/actions/services/run-step.service';
import type { PlaybookDraft } from '../../../subgraphs/actions/domain/validate-playbook';
import { AlertRuleService } from '../../../subgraphs/actions/services/alert-rule.service';
import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { PLAYBOOK_EVENTS, type RiskChangeForAlerts } from '../../../subgraphs/common/queues';
import { CHURN_PLAYBOOK } from '../../unit/actions/domain/playbook-fixtures';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { reconcileRuns } from '../../../subgraphs/actions/workers/reconcile-runs.worker';
import { runPlaybookStep } from '../../../subgraphs/actions/workers/playbook-step.worker';
import { PLAYBOOK_STEP, playbookStepJobId } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';

const HOUR = 3600_000;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('the playbook action queue', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  let clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email', sms: 'sms' }),
    traits: { traitsOf: (_t, id) => Promise.resolve({ firstName: `<Ann ${id.slice(-2)}>`, email: `ann${id.slice(-2)}@example.com`, phone: '+33600000000' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    await provider.start();
    env = await createTestEnv();
    // a long reconcile interval: these tests run the reconciler themselves, at a moment they choose
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
    await provider.stop();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const runOf = (tenantId: string, id: string) => em(tenantId).findOne(PlaybookRun, { id }, { disableIdentityMap: true });
  const queue = () => actions.deps.queues.get(PLAYBOOK_STEP);
  /** A playbook that treats everyone: these tests are about running steps, not about control groups (see measurement.test.ts). */
  const create = (tenantId: string, draft: PlaybookDraft) => createTreatingEveryone(em(tenantId), tenantId, draft);
  const enrol = (tenantId: string, playbookId: string, profileId: string) => new PlaybookRunService(em(tenantId), tenantId, () => clock).enrolOne(queue(), playbookId, profileId, 'test');
  /** Moves the clock and runs the delayed job of the run's current step now. */
  async function advanceTo(tenantId: string, runId: string, ms: number): Promise<void> {
    clock = new Date(clock.getTime() + ms);
    const run = (await runOf(tenantId, runId))!;
    const job = await queue().getJob(playbookStepJobId({ runId, stepId: run.stepId!, visit: run.visit }));
    await job!.promote();
  }

  it('runs send → wait → branch → createTask through the real worker', async () => {
    const playbook = await create('t1', {
      name: 'Win back',
      steps: [
        { id: 'email', type: 'send', channel: 'email', subject: 'Hi {{profile.traits.firstName}}', html: '<p>{{profile.traits.firstName}}</p>', next: 'pause' },
        { id: 'pause', type: 'wait', seconds: 3600, next: 'check' },
        { id: 'check', type: 'branch', arms: [{ when: [{ field: 'steps.email', op: 'eq', value: 'sent' }], next: 'call' }], otherwise: 'stop' },
        { id: 'call', type: 'createTask', team: 'cs', title: 'Call {{profile.traits.firstName}}', priority: 'high', dueInSeconds: 86400, next: null },
        { id: 'stop', type: 'exit' },
      ],
    });
    const run = await enrol('t1', playbook.playbookId, profile(1));
    await waitFor(async () => (await runOf('t1', run.id))?.stepId === 'pause');
    expect(provider.of('email')).toHaveLength(1);
    expect(provider.of('email')[0].message).toMatchObject({ to: 'ann01@example.com', subject: 'Hi <Ann 01>', html: '<p>&lt;Ann 01&gt;</p>' });
    expect(await runOf('t1', run.id)).toMatchObject({ status: 'waiting', nextDueAt: new Date(clock.getTime() + HOUR) });

    await advanceTo('t1', run.id, HOUR);
    await waitFor(async () => (await runOf('t1', run.id))?.status === 'completed');
    const tasks = await em('t1').find(Task, { runId: run.id });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ team: 'cs', title: 'Call <Ann 01>', priority: 'high', status: 'open', profileId: profile(1) });
    const ledger = await em('t1').find(StepDelivery, { runId: run.id });
    expect(ledger).toMatchObject([{ stepId: 'email', channel: 'email', status: 'sent', attempts: 1, providerId: expect.stringMatching(/^msg-/) }]);
    expect((await runOf('t1', run.id))!.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['email:sent', 'pause:waited', 'check:branched', 'call:created']);
    // another tenant sees none of it
    expect(await em('t2').find(PlaybookRun, {})).toHaveLength(0);
  });

  it('resumes after a crash between commit and queueing, and after its jobs are deleted from Redis, sending nothing twice', async () => {
    const playbook = await create('t3', {
      name: 'Two sends',
      steps: [
        { id: 'email', type: 'send', channel: 'email', body: 'Hello', next: 'pause' },
        { id: 'pause', type: 'wait', seconds: 7200, next: 'sms' },
        { id: 'sms', type: 'send', channel: 'sms', body: 'Still there?', next: null },
      ],
    });
    // the "crash": the first step taken and committed by a worker that died before queueing the next
    const runService = new PlaybookRunService(em('t3'), 't3', () => clock);
    const { runs } = await em('t3').transactional((tx) => new PlaybookRunService(tx, 't3', () => clock).enrol([{ playbookId: playbook.playbookId, profileId: profile(3), enrolledBy: 'test' }]));
    const run = runs[0];
    const taken = await new RunStepService(em('t3'), 't3', collaborators).take({ tenantId: 't3', runId: run.id, stepId: 'email', visit: 1 });
    expect(taken.kind).toBe('advanced');
    // a replay of the same job (BullMQ re-delivering it) is stale and sends nothing
    expect(await runPlaybookStep({ id: 'replay', data: { tenantId: 't3', runId: run.id, stepId: 'email', visit: 1 } }, actions.deps, collaborators)).toEqual({ kind: 'stale' });
    expect(provider.of('email', `run:${run.id}:step:email:1`)).toHaveLength(1);
    expect(await queue().getJob(playbookStepJobId({ runId: run.id, stepId: 'pause', visit: 2 }))).toBeUndefined();

    // the reconciler queues nothing before the wait is due, then queues it; Redis loses it again
    expect(await reconcileRuns(actions.deps, clock)).toBe(0);
    clock = new Date(clock.getTime() + 2 * HOUR);
    const keys = await actions.deps.redis.keys(`{${env.config.queuePrefix}}:${PLAYBOOK_STEP}:*`);
    if (keys.length) await actions.deps.redis.del(...keys);
    expect(await reconcileRuns(actions.deps, clock)).toBeGreaterThanOrEqual(1);
    await waitFor(async () => (await runOf('t3', run.id))?.status === 'completed');
    // running the reconciler again after the end queues nothing and sends nothing
    expect(await reconcileRuns(actions.deps, clock)).toBe(0);
    expect(provider.of('email', `run:${run.id}:step:email:1`)).toHaveLength(1);
    expect(provider.of('sms', `run:${run.id}:step:sms:3`)).toHaveLength(1);
    expect((await runService.list({ profileId: profile(3) }, 10)).map((r) => r.status)).toEqual(['completed']);
  });

  it('retries a failing send with backoff, dead-letters it after the last try and follows the failure branch', async () => {
    provider.respond.set('sms', 503);
    try {
      const playbook = await create('t4', {
        name: 'SMS or call',
        steps: [
          { id: 'sms', type: 'send', channel: 'sms', body: 'Hi', next: null, onFailure: 'call' },
          { id: 'call', type: 'createTask', team: 'cs', title: 'SMS failed', priority: 'urgent', dueInSeconds: 3600, next: null },
        ],
      });
      const run = await enrol('t4', playbook.playbookId, profile(4));
      await waitFor(async () => (await runOf('t4', run.id))?.status === 'completed', 20_000);
      expect(provider.of('sms', `run:${run.id}:step:sms:1`)).toHaveLength(3);
      expect(await em('t4').find(StepDelivery, { runId: run.id })).toMatchObject([{ status: 'failed', attempts: 3, error: 'status 503' }]);
      expect(await em('t4').find(Task, { runId: run.id })).toMatchObject([{ priority: 'urgent', title: 'SMS failed' }]);
    } finally {
      provider.respond.delete('sms');
    }
  });

  it('fails the run when a dead-lettered send has no failure branch, and allows one live run per playbook and profile', async () => {
    const playbook = await create('t5', { name: 'Unknown channel', steps: [{ id: 'fax', type: 'send', channel: 'fax', body: 'x', next: null }] });
    const run = await enrol('t5', playbook.playbookId, profile(5));
    await waitFor(async () => (await runOf('t5', run.id))?.status === 'failed');
    expect(await runOf('t5', run.id)).toMatchObject({ endReason: 'step fax dead-lettered', liveKey: null });
    expect(await em('t5').find(StepDelivery, { runId: run.id })).toMatchObject([{ status: 'failed', error: 'channel fax is not configured' }]);
    // ended: the profile may be enrolled again
    await expect(enrol('t5', playbook.playbookId, profile(5))).resolves.toMatchObject({ profileId: profile(5) });
    expect(await forkAcrossTenants(actions.deps.orm).count(PlaybookRun, { tenantId: 't5' })).toBe(2);
    const waiting = await create('t5', { name: 'Wait', steps: [{ id: 'pause', type: 'wait', seconds: 60, next: null }] });
    await enrol('t5', waiting.playbookId, profile(6));
    await expect(enrol('t5', waiting.playbookId, profile(6))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('enrols the profile when an alert rule naming the playbook fires, once, and ends the run when risk falls back to Low during a wait', async () => {
    const playbook = await create('t7', { name: 'Rescue', steps: [{ id: 'pause', type: 'wait', seconds: 86400, next: 'call' }, { id: 'call', type: 'createTask', team: 'cs', title: 'Call', priority: 'high', dueInSeconds: 3600, next: null }] });
    await new AlertRuleService(em('t7'), 't7').create({ name: 'High', severity: 'high', team: 'cs', trigger: { type: 'risk_crossing', bucket: 'high' }, playbookId: playbook.playbookId });
    const change = (n: number, score: number, bucket: string, previousBucket: string): RiskChangeForAlerts => ({
      profileId: profile(n), scoreId: `s-${n}-${score}`, kind: 'churn', score, previousScore: null, bucket, previousBucket, clv: null, revenueAtRisk: null, reasons: [], segmentIds: [],
    });
    const batch = { tenantId: 't7', changes: [change(7, 82, 'high', 'medium'), change(8, 90, 'high', 'medium')] };
    await raiseAlerts({ id: 'a1', data: batch }, actions.deps, clock);
    await raiseAlerts({ id: 'a1', data: batch }, actions.deps, clock);
    const runs = await em('t7').find(PlaybookRun, {}, { orderBy: { profileId: 'asc' } });
    expect(runs.map((r) => [r.profileId, r.status, r.stepId, r.enrolledBy.startsWith('alert:')])).toEqual([
      [profile(7), 'waiting', 'pause', true],
      [profile(8), 'waiting', 'pause', true],
    ]);
    expect(runs[0].facts.risk).toMatchObject({ bucket: 'high', score: 82 });
    expect(await queue().getJob(playbookStepJobId({ runId: runs[0].id, stepId: 'pause', visit: 1 }))).toBeDefined();

    await raiseAlerts({ id: 'a2', data: { tenantId: 't7', changes: [change(7, 20, 'low', 'high')] } }, actions.deps, clock);
    expect(await runOf('t7', runs[0].id)).toMatchObject({ status: 'completed', endReason: 'risk_low', liveKey: null });
    expect(await runOf('t7', runs[1].id)).toMatchObject({ status: 'waiting' });
    // the wait's job, run late, finds the run ended and creates no task
    clock = new Date(clock.getTime() + 24 * HOUR);
    expect(await runPlaybookStep({ id: 'late', data: { tenantId: 't7', runId: runs[0].id, stepId: 'pause', visit: 1 } }, actions.deps, collaborators)).toEqual({ kind: 'stale' });
    expect(await em('t7').find(Task, { runId: runs[0].id })).toHaveLength(0);
  });

  it('runs the standard churn playbook: an opened email ends it, an unopened one goes on to SMS and a task', async () => {
    const playbook = await create('t8', CHURN_PLAYBOOK);
    const opened = await enrol('t8', playbook.playbookId, profile(81));
    const ignored = await enrol('t8', playbook.playbookId, profile(82));
    await waitFor(async () => (await runOf('t8', opened.id))?.stepId === 'opened' && (await runOf('t8', ignored.id))?.stepId === 'opened');
    expect(provider.of('email').filter((r) => [profile(81), profile(82)].includes(r.message.profileId))).toHaveLength(2);

    // an open of profile 81's email arrives through the playbook-events queue (plus noise: another event, another profile's unrelated event)
    clock = new Date(clock.getTime() + 2 * HOUR);
    const events = actions.deps.queues.get(PLAYBOOK_EVENTS);
    const at = clock.toISOString();
    const batch = {
      tenantId: 't8',
      events: [
        { eventId: 'e1', profileId: profile(81), name: 'Email Opened', properties: { step: 'email' }, occurredAt: at },
        { eventId: 'e2', profileId: profile(82), name: 'Page Viewed', properties: {}, occurredAt: at },
      ],
    };
    await events.add(PLAYBOOK_EVENTS, batch, { jobId: 't8-events-e1-e2' });
    await waitFor(async () => (await runOf('t8', opened.id))?.status === 'completed');
    expect((await runOf('t8', opened.id))!.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['email:sent', 'opened:event', 'done:exited']);
    expect(await runOf('t8', ignored.id)).toMatchObject({ status: 'waiting', stepId: 'opened' });

    // profile 82 never opens: 24 h later the SMS, 72 h after that the high-priority task
    await advanceTo('t8', ignored.id, 22 * HOUR);
    await waitFor(async () => (await runOf('t8', ignored.id))?.stepId === 'engaged');
    expect(provider.of('sms', `run:${ignored.id}:step:sms:3`)).toHaveLength(1);
    await advanceTo('t8', ignored.id, 72 * HOUR);
    await waitFor(async () => (await runOf('t8', ignored.id))?.status === 'completed');
    expect(await em('t8').find(Task, { runId: ignored.id })).toMatchObject([{ team: 'customer-service', priority: 'high', title: 'Call <Ann 82>' }]);
    expect(await em('t8').find(Task, { runId: opened.id })).toHaveLength(0);
    expect(provider.of('sms').filter((r) => r.message.profileId === profile(81))).toHaveLength(0);
  });

  it('rejects malformed jobs as unrecoverable, naming the field', async () => {
    const step = runPlaybookStep({ id: 'bad', data: { tenantId: 't9', runId: 'not-a-uuid', stepId: 'a', visit: 1 } }, actions.deps, collaborators);
    await expect(step).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(step).rejects.toThrow('runId must be a uuid');
    const events = applyPlaybookEvents({ id: 'bad', data: { tenantId: 't9', events: [{ eventId: 'e', profileId: profile(9), name: 'X', properties: {}, occurredAt: 'yesterday' }] } }, actions.deps);
    await expect(events).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(events).rejects.toThrow('events[0].occurredAt must be an ISO time');
  });
});
