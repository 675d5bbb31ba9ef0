import { createActionsSubgraph } from '../../../subgraphs/actions';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { Task } from '../../../subgraphs/actions/entities/task.entity';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { CONTEXT_HEADER, signContext } from '../../../subgraphs/common/auth-context';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { FakeChannelProvider } from '../../fixtures/fake-channel-provider';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;
const TRIGGER = `mutation($input: TriggerActionInput!) { triggerAction(input: $input) { id status profileId enrolledBy } }`;

describe('triggerAction', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const provider = new FakeChannelProvider();
  const clock = new Date('2026-03-10T12:00:00Z');
  const collaborators: PlaybookCollaborators = {
    channels: provider.resolver({ email: 'email' }),
    traits: { traitsOf: () => Promise.resolve({ email: 'ann@example.com', firstName: 'Ann' }) },
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

  const call = (tenantId: string, input: Record<string, unknown>, scopes = ['actions:write']) =>
    gql(actions.url, TRIGGER, { input }, { [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes }, env.config.secret, 'actions', 60) });
  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const runOf = (tenantId: string, id: string) => em(tenantId).findOne(PlaybookRun, { id }, { disableIdentityMap: true });

  it('sends once through the outbox and ledger, and the same key again returns the same run without sending', async () => {
    const input = { key: 'winback-42', profileId: profile(1), type: 'send', channel: 'email', subject: 'Hi {{profile.traits.firstName}}', body: 'An offer' };
    const first = await call('a1', input);
    expect(first.errors).toBeUndefined();
    const run = first.data!.triggerAction as { id: string; enrolledBy: string };
    expect(run.enrolledBy).toBe('action:winback-42');
    await waitFor(async () => (await runOf('a1', run.id))?.status === 'completed');
    const again = await call('a1', input);
    expect(again.data!.triggerAction).toMatchObject({ id: run.id, status: 'completed' });
    expect(provider.of('email', `run:${run.id}:step:action:1`)).toHaveLength(1);
    expect(provider.of('email', `run:${run.id}:step:action:1`)[0].message).toMatchObject({ to: 'ann@example.com', subject: 'Hi Ann' });
    expect(await em('a1').find(StepDelivery, { profileId: profile(1) })).toMatchObject([{ runId: run.id, stepId: 'action', status: 'sent' }]);
    // the same key in another tenant is another action
    const other = await call('a2', input);
    expect(other.data!.triggerAction.id).not.toBe(run.id);
    // the same key for another profile is a conflict
    const conflict = await call('a1', { ...input, profileId: profile(2) });
    expect(conflict.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' } });
  });

  it('creates a task, and a second key for the same profile is not blocked by the first', async () => {
    const res = await call('a3', { key: 'call-1', profileId: profile(3), type: 'createTask', team: 'cs', title: 'Call {{profile.traits.firstName}}', priority: 'high', dueInSeconds: 3600 });
    const res2 = await call('a3', { key: 'call-2', profileId: profile(3), type: 'createTask', team: 'cs', title: 'Follow up', dueInSeconds: 7200 });
    expect(res.errors).toBeUndefined();
    expect(res2.errors).toBeUndefined();
    await waitFor(async () => (await em('a3').find(Task, { profileId: profile(3) })).length === 2);
    expect((await em('a3').find(Task, { profileId: profile(3) }, { orderBy: { title: 'asc' } })).map((t) => [t.title, t.priority])).toEqual([
      ['Call Ann', 'high'],
      ['Follow up', 'normal'],
    ]);
  });

  it('refuses bad input naming the field, and a key without actions:write', async () => {
    const bad = await call('a4', { key: 'x', profileId: profile(4), type: 'send', channel: '', body: 'Hi' });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(bad.errors?.[0].message).toContain('input.channel');
    const badType = await call('a4', { key: 'y', profileId: profile(4), type: 'wait' });
    expect(badType.errors?.[0].message).toContain('input.type');
    const badKey = await call('a4', { key: 'no spaces', profileId: profile(4), type: 'send', channel: 'email', body: 'x' });
    expect(badKey.errors?.[0].message).toContain('input.key');
    const forbidden = await call('a4', { key: 'z', profileId: profile(4), type: 'send', channel: 'email', body: 'x' }, ['profiles:read']);
    expect(forbidden.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });
    expect(await em('a4').find(PlaybookRun, {})).toHaveLength(0);
  });
});
