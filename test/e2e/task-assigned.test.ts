import { TASK_ASSIGNED } from '../../subgraphs/common/pubsub';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe, type Subscription } from '../fixtures/ws-client';

const TASK_ASSIGNED_SUB = `subscription($team: String, $assignee: String) { taskAssigned(team: $team, assignee: $assignee) { id team title priority status assignee } }`;
/** Id of the warm-up and sentinel events; never a real task. */
const MARK = '00000000-0000-7000-8000-00000000aaaa';
const PROFILE = '01a21226-0000-7000-8000-000000000777';

describe('taskAssigned through the gateway', () => {
  let stack: Stack;
  let agent: string;
  let stranger: string;

  beforeAll(async () => {
    stack = await startStack();
    agent = await stack.key('shop', ['profiles:read', 'actions:write']);
    stranger = await stack.key('rival', ['profiles:read', 'actions:write']);
  });
  afterAll(() => stack?.stop());

  const mark = (tenantId: string, team: string, title: string, assignee: string | null = null) =>
    stack.subgraphs.actions.deps.pubSub.publish(TASK_ASSIGNED, tenantId, {
      tenantId, taskId: MARK, profileId: MARK, runId: null, team, title, priority: 'low', status: 'open', assignee, dueAt: null, escalatedAt: null,
      change: 'created', createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
    });
  /** Publishes a marker event until the subscriber has it: from then on it is registered. */
  const until = (sub: Subscription<Record<string, any>>, tenantId: string, team: string, title: string, assignee: string | null = null) =>
    waitFor(async () => {
      await mark(tenantId, team, title, assignee);
      await new Promise((r) => setTimeout(r, 20)); // one pub/sub hop; the loop only ends on a received event
      return sub.results.some((r) => r.data?.taskAssigned?.title === title);
    }, 30_000, 50);
  const real = (sub: Subscription<Record<string, any>>) => sub.results.filter((r) => r.data?.taskAssigned && r.data.taskAssigned.id !== MARK).map((r) => r.data!.taskAssigned);

  it('delivers created and assigned tasks to the team’s subscriber, filtered by assignee, and nothing to another team or tenant', async () => {
    const team = subscribe(stack.gateway.wsUrl, TASK_ASSIGNED_SUB, { team: 'cs' }, { authorization: `Bearer ${agent}` });
    const bob = subscribe(stack.gateway.wsUrl, TASK_ASSIGNED_SUB, { assignee: 'bob' }, { authorization: `Bearer ${agent}` });
    const billing = subscribe(stack.gateway.wsUrl, TASK_ASSIGNED_SUB, { team: 'billing' }, { authorization: `Bearer ${agent}` });
    const rival = subscribe(stack.gateway.wsUrl, TASK_ASSIGNED_SUB, { team: 'cs' }, { authorization: `Bearer ${stranger}` });
    try {
      await until(team, 'shop', 'cs', 'warm-up');
      await until(bob, 'shop', 'cs', 'warm-up', 'bob');
      await until(billing, 'shop', 'billing', 'warm-up');
      await until(rival, 'rival', 'cs', 'warm-up');

      const created = await gql(stack.gateway.url, `mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }`, { input: { profileId: PROFILE, team: 'cs', title: 'Call back', priority: 'high' } }, bearer(agent));
      expect(created.errors).toBeUndefined();
      const id = created.data!.createTask.id as string;
      const assigned = await gql(stack.gateway.url, `mutation($id: ID!) { assignTask(taskId: $id, assignee: "bob") { id assignee } }`, { id }, bearer(agent));
      expect(assigned.errors).toBeUndefined();

      await waitFor(() => real(team).length === 2 && real(bob).length === 1);
      expect(real(team)).toEqual([
        { id, team: 'cs', title: 'Call back', priority: 'high', status: 'open', assignee: null },
        { id, team: 'cs', title: 'Call back', priority: 'high', status: 'open', assignee: 'bob' },
      ]);
      expect(real(bob)).toEqual([{ id, team: 'cs', title: 'Call back', priority: 'high', status: 'open', assignee: 'bob' }]);
      // sentinels after the mutations: once they arrive, nothing real came before them
      await until(billing, 'shop', 'billing', 'sentinel');
      await until(rival, 'rival', 'cs', 'sentinel');
      expect(real(billing)).toEqual([]);
      expect(real(rival)).toEqual([]);
    } finally {
      await Promise.all([team.close(), bob.close(), billing.close(), rival.close()]);
    }
  });
});
