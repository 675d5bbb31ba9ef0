import { createActionsSubgraph } from '../../../subgraphs/actions';
import { PlaybookAssignment } from '../../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookOutcome } from '../../../subgraphs/actions/entities/playbook-outcome.entity';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { profileMergedInActions } from '../../../subgraphs/actions/workers/profile-merged.worker';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { Task } from '../../../subgraphs/actions/entities/task.entity';
import { playbookOf } from '../../../subgraphs/actions/resolvers/playbook.type';
import { AlertRuleService } from '../../../subgraphs/actions/services/alert-rule.service';
import { MeasurementSettingsService } from '../../../subgraphs/actions/services/measurement-settings.service';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { PlaybookService } from '../../../subgraphs/actions/services/playbook.service';
import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { reconcileRuns } from '../../../subgraphs/actions/workers/reconcile-runs.worker';
import { PLAYBOOK_STEP, PROFILE_MERGED_ACTIONS, type RiskChangeForAlerts } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const DAY = 86_400_000;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;
const change = (n: number, clv: number | null): RiskChangeForAlerts => ({
  profileId: profile(n), scoreId: `s-${n}`, kind: 'churn', score: 85, previousScore: 40, bucket: 'high', previousBucket: 'medium', clv, revenueAtRisk: null, reasons: [], segmentIds: [],
});

describe('holdout and global control assignment', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email' }),
    traits: { traitsOf: (_t, id) => Promise.resolve({ email: `c${id.slice(-3)}@example.com` }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    await provider.start();
    env = await createTestEnv();
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
    await provider.stop();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);

  it('holds out the control and the global control at enrolment by an alert rule, logs every arm once, and never sends them a step', async () => {
    const t = 'm1';
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0.1 });
    const playbook = await new PlaybookService(em(t), t).create({
      name: 'Rescue',
      holdoutFraction: 0.3,
      steps: [
        { id: 'email', type: 'send', channel: 'email', body: 'We miss you', next: 'call' },
        { id: 'call', type: 'createTask', team: 'cs', title: 'Call', priority: 'high', dueInSeconds: 3600, next: null },
      ],
    });
    await new AlertRuleService(em(t), t).create({ name: 'High', severity: 'high', team: 'cs', trigger: { type: 'risk_crossing', bucket: 'high' }, playbookId: playbook.playbookId });
    const n = 120;
    const batch = { tenantId: t, changes: Array.from({ length: n }, (_, i) => change(i + 1, i % 2 === 0 ? 100 + i : null)) };
    await raiseAlerts({ id: 'b1', data: batch }, actions.deps, clock);
    // a replayed batch enrols and logs nobody a second time
    await raiseAlerts({ id: 'b1', data: batch }, actions.deps, clock);

    const log = await em(t).find(PlaybookAssignment, {}, { orderBy: { profileId: 'asc' } });
    expect(log).toHaveLength(n);
    const arms = new Map(log.map((a) => [a.profileId, a.arm]));
    const count = (arm: string) => log.filter((a) => a.arm === arm).length;
    // 10 % global control first, then 30 % of the rest held out: loose bounds (beyond 4 sd) on 120 customers
    expect(count('global_control')).toBeGreaterThanOrEqual(2);
    expect(count('global_control')).toBeLessThanOrEqual(25);
    expect(count('control')).toBeGreaterThanOrEqual(13);
    expect(count('control')).toBeLessThanOrEqual(52);
    expect(log[0]).toMatchObject({ playbookVersion: 1, clv: 100, outcomeKind: 'churned', outcomeEvent: 'Account Closed', windowEndsAt: new Date(clock.getTime() + 30 * DAY), assignedAt: clock });
    expect(log[1].clv).toBeNull();

    const runs = await em(t).find(PlaybookRun, {});
    expect(runs).toHaveLength(n);
    for (const r of runs) {
      const arm = arms.get(r.profileId);
      expect([r.profileId, r.status === 'held_out']).toEqual([r.profileId, arm !== 'treatment']);
      expect(log.find((a) => a.profileId === r.profileId)!.runId).toBe(r.id);
    }
    const treated = runs.filter((r) => r.status !== 'held_out');
    const heldOut = new Set(runs.filter((r) => r.status === 'held_out').map((r) => r.profileId));

    // every treated run completes through the real workers; then the reconciler finds nothing due
    await waitFor(async () => (await em(t).count(PlaybookRun, { status: 'completed' })) === treated.length, 60_000);
    expect(await reconcileRuns(actions.deps, new Date(clock.getTime() + 365 * DAY))).toBe(0);
    const sends = await em(t).find(StepDelivery, {});
    const tasks = await em(t).find(Task, {});
    expect(sends).toHaveLength(treated.length);
    expect(tasks).toHaveLength(treated.length);
    expect(sends.filter((s) => heldOut.has(s.profileId))).toEqual([]);
    expect(tasks.filter((s) => heldOut.has(s.profileId))).toEqual([]);
    expect(provider.of('email').filter((r) => heldOut.has(r.message.profileId))).toEqual([]);
    const jobs = await actions.deps.queues.get(PLAYBOOK_STEP).getJobs(['waiting', 'delayed', 'active', 'failed', 'completed']);
    expect(jobs.filter((j) => runs.some((r) => r.id === j.data.runId && r.status === 'held_out'))).toEqual([]);

    // re-entry through the API is sticky: a control customer is held out again, the log keeps its first row
    const control = log.find((a) => a.arm === 'control')!;
    const again = await new PlaybookRunService(em(t), t, () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, control.profileId, 'api:test');
    expect(again).toMatchObject({ status: 'held_out', endReason: 'held out: playbook control group' });
    expect(await em(t).count(PlaybookAssignment, { profileId: control.profileId })).toBe(1);
    // another tenant sees none of it
    expect(await em('m-other').count(PlaybookAssignment, {})).toBe(0);
    // a volume test: ~80 sends and tasks through the real queue, slow on PostgreSQL on a shared machine
  }, 120_000);

  it('treats everyone with a holdout of 0 and no global control, and warns that nothing can be measured', async () => {
    const t = 'm2';
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t), t).create({ name: 'All in', holdoutFraction: 0, steps: [{ id: 'pause', type: 'wait', seconds: 3600, next: null }] });
    const service = new PlaybookRunService(em(t), t, () => clock);
    const { runs } = await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol(Array.from({ length: 50 }, (_, i) => ({ playbookId: playbook.playbookId, profileId: profile(1000 + i), enrolledBy: 'test' }))));
    expect(runs.every((r) => r.status === 'waiting')).toBe(true);
    expect((await em(t).find(PlaybookAssignment, {})).every((a) => a.arm === 'treatment')).toBe(true);
    expect((await service.list({ status: 'held_out' }, 10)).length).toBe(0);
    expect(playbookOf(playbook).warnings).toEqual([expect.stringContaining('holdoutFraction is 0')]);
    expect(playbookOf(await new PlaybookService(em(t), t).create({ name: 'Measured', steps: [{ id: 'x', type: 'exit' }] }))).toMatchObject({ holdoutFraction: 0.1, warnings: [], guardrails: ['Unsubscribed', 'Complaint', 'Opted Out', 'Message Complained'] });
  });

  it('counts an outcome sent under the survivor of a merge for the merged profile’s assignment, once', async () => {
    const t = 'm4';
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t), t).create({ name: 'Merge', holdoutFraction: 0, steps: [{ id: 'pause', type: 'wait', seconds: 3600, next: null }] });
    await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol([{ playbookId: playbook.playbookId, profileId: profile(4001), enrolledBy: 'test' }]));
    await profileMergedInActions({ id: `${t}-merge`, name: PROFILE_MERGED_ACTIONS, data: { tenantId: t, profileId: profile(4002), mergedProfileId: profile(4001) } }, actions.deps);
    const batch = { tenantId: t, events: [{ eventId: 'close-1', profileId: profile(4002), name: 'Account Closed', properties: {}, occurredAt: new Date(clock.getTime() + DAY).toISOString() }] };
    await applyPlaybookEvents({ id: 'e1', data: batch }, actions.deps, () => clock);
    await applyPlaybookEvents({ id: 'e1', data: batch }, actions.deps, () => clock);
    const assignment = (await em(t).findOne(PlaybookAssignment, { playbookId: playbook.playbookId }))!;
    expect(assignment.profileId).toBe(profile(4002));
    expect(await em(t).find(PlaybookOutcome, {})).toMatchObject([{ assignmentId: assignment.id, kind: 'outcome', arm: 'treatment', eventId: 'close-1' }]);
  });

  it('refuses measurement settings out of range, naming the field', async () => {
    const settings = new MeasurementSettingsService(em('m3'), 'm3');
    await expect(settings.update({ globalControlFraction: 0.9 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('input.globalControlFraction') });
    await expect(settings.update({ globalControlPeriodDays: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('input.globalControlPeriodDays') });
    expect(await settings.get()).toMatchObject({ globalControlFraction: 0.05, globalControlPeriodDays: 30 });
  });
});
