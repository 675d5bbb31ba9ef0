import { createActionsSubgraph } from '../../../subgraphs/actions';
import { Task } from '../../../subgraphs/actions/entities/task.entity';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { escalateTaskJobId } from '../../../subgraphs/actions/services/queue-task-escalations';
import { TaskService } from '../../../subgraphs/actions/services/task.service';
import { escalateTask } from '../../../subgraphs/actions/workers/escalate-task.worker';
import { reconcileTaskEscalations } from '../../../subgraphs/actions/workers/reconcile-runs.worker';
import { ESCALATE_TASK, PLAYBOOK_STEP } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';

const HOUR = 3600_000;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

describe('task escalation when overdue', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  let clock = new Date('2026-03-10T08:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: { resolve: () => Promise.resolve(null) },
    traits: { traitsOf: () => Promise.resolve({ firstName: 'Ann' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    env = await createTestEnv();
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const taskOf = (tenantId: string, id: string) => em(tenantId).findOne(Task, { id }, { disableIdentityMap: true });
  const escalations = () => actions.deps.queues.get(ESCALATE_TASK);

  it('escalates a playbook task still open at its due time (priority up, to the escalation team) through a delayed job, once', async () => {
    const playbook = await createTreatingEveryone(em('e1'), 'e1', {
      name: 'Call',
      steps: [{ id: 'call', type: 'createTask', team: 'cs', title: 'Call {{profile.traits.firstName}}', priority: 'high', dueInSeconds: 3600, escalateToTeam: 'cs-leads', next: null }],
    });
    const run = await new PlaybookRunService(em('e1'), 'e1', () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(1), 'test');
    await waitFor(async () => (await em('e1').find(Task, { runId: run.id })).length === 1);
    const [task] = await em('e1').find(Task, { runId: run.id });
    expect(task).toMatchObject({ team: 'cs', priority: 'high', escalationTeam: 'cs-leads', escalatedAt: null, dueAt: new Date(clock.getTime() + HOUR) });
    const job = await escalations().getJob(escalateTaskJobId(task.id));
    await waitFor(async () => (await job?.getState()) === 'delayed');

    // run early (a clock ahead of Redis's): nothing changes
    expect(await escalateTask({ id: 'early', data: { tenantId: 'e1', taskId: task.id } }, actions.deps, () => clock)).toEqual({ kind: 'early', dueAt: task.dueAt });
    clock = new Date(clock.getTime() + HOUR);
    await job!.promote();
    await waitFor(async () => (await taskOf('e1', task.id))?.escalatedAt !== null);
    expect(await taskOf('e1', task.id)).toMatchObject({ status: 'open', team: 'cs-leads', priority: 'urgent', escalatedAt: clock });
    // again: nothing more (once only), and another tenant cannot touch it
    expect(await escalateTask({ id: 'again', data: { tenantId: 'e1', taskId: task.id } }, actions.deps, () => clock)).toEqual({ kind: 'none' });
    expect(await escalateTask({ id: 'other', data: { tenantId: 'e2', taskId: task.id } }, actions.deps, () => clock)).toEqual({ kind: 'none' });
    expect(await taskOf('e1', task.id)).toMatchObject({ priority: 'urgent' });
  });

  it('does not escalate a task done before its due time', async () => {
    const tasks = new TaskService(em('e3'), 'e3', () => clock, escalations());
    const task = await tasks.create({ profileId: profile(3), team: 'cs', title: 'Call back', priority: 'low', dueAt: new Date(clock.getTime() + HOUR) });
    await tasks.complete(task.id, 'saved');
    clock = new Date(clock.getTime() + 2 * HOUR);
    expect(await escalateTask({ id: 'done', data: { tenantId: 'e3', taskId: task.id } }, actions.deps, () => clock)).toEqual({ kind: 'none' });
    expect(await taskOf('e3', task.id)).toMatchObject({ status: 'done', priority: 'low', escalatedAt: null });
    expect(await reconcileTaskEscalations(actions.deps, clock)).toBe(0);
  });

  it('escalates from SQL after Redis lost the job (a flush): the reconciler queues it again, once', async () => {
    const task = await new TaskService(em('e4'), 'e4', () => clock, escalations()).create({ profileId: profile(4), team: 'cs', title: 'Refund', dueAt: new Date(clock.getTime() + 30 * 60_000) });
    const keys = await actions.deps.redis.keys(`{${env.config.queuePrefix}}:${ESCALATE_TASK}:*`);
    expect(keys.length).toBeGreaterThan(0);
    await actions.deps.redis.del(...keys);
    expect(await reconcileTaskEscalations(actions.deps, clock)).toBe(0);
    clock = new Date(clock.getTime() + HOUR);
    expect(await reconcileTaskEscalations(actions.deps, clock)).toBe(1);
    await waitFor(async () => (await taskOf('e4', task.id))?.escalatedAt !== null);
    expect(await taskOf('e4', task.id)).toMatchObject({ team: 'cs', priority: 'high' });
    expect(await reconcileTaskEscalations(actions.deps, clock)).toBe(0);
  });

  it('rejects a malformed job as unrecoverable, naming the field', async () => {
    await expect(escalateTask({ id: 'bad', data: { tenantId: 'e5', taskId: 'nope' } }, actions.deps, () => clock)).rejects.toThrow('taskId must be a uuid');
  });
});
