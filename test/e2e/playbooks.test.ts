import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const CREATE = /* GraphQL */ `
  mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id version name definition } }
`;
const PROFILE = '01a21226-0000-7000-8000-0000000000aa';

/**
 * An admin defines a playbook through the gateway, an internal tool enrols a customer, lists and
 * cancels the run, and works a task; another tenant sees none of it.
 */
describe('playbooks through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let agent: string;
  let stranger: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('shop', ['admin']);
    agent = await stack.key('shop', ['profiles:read', 'actions:write']);
    stranger = await stack.key('rival', ['admin', 'profiles:read', 'actions:write']);
    // these tests are about running playbooks: nobody in the global control (see measurement.test.ts)
    const off = await gql(stack.gateway.url, `mutation { updateMeasurementSettings(input: { globalControlFraction: 0 }) { globalControlFraction } }`, {}, bearer(admin));
    expect(off.data?.updateMeasurementSettings).toEqual({ globalControlFraction: 0 });
  });
  afterAll(() => stack?.stop());

  it('refuses an invalid playbook naming the field, and a playbook from a key without admin', async () => {
    const steps = [{ id: 'a', type: 'waitForEvent', event: 'Email Opened', timeoutSeconds: 0, onEvent: 'nowhere', onTimeout: null }];
    const bad = await gql(stack.gateway.url, CREATE, { input: { name: 'Bad', steps } }, bearer(admin));
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('input.steps[0].timeoutSeconds: must be a positive duration');
    expect(bad.errors?.[0]?.message).toContain('input.steps[0].onEvent: refers to a step that does not exist: nowhere');
    const denied = await gql(stack.gateway.url, CREATE, { input: { name: 'X', steps: [{ id: 'x', type: 'exit' }] } }, bearer(agent));
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('enrols, lists, cancels a run and works a task', async () => {
    const created = await gql(stack.gateway.url, CREATE, { input: { name: 'Nurture', holdoutFraction: 0, steps: [{ id: 'pause', type: 'wait', seconds: 86400, next: null }] } }, bearer(admin));
    const playbookId = created.data?.createPlaybook.id;
    expect(created.data?.createPlaybook).toMatchObject({ version: 1, name: 'Nurture' });

    const enrol = `mutation($p: ID!, $f: ID!) { enrollInPlaybook(playbookId: $p, profileId: $f) { id status stepId visit } }`;
    const run = await gql(stack.gateway.url, enrol, { p: playbookId, f: PROFILE }, bearer(agent));
    expect(run.data?.enrollInPlaybook).toMatchObject({ status: 'waiting', stepId: 'pause', visit: 1 });
    const again = await gql(stack.gateway.url, enrol, { p: playbookId, f: PROFILE }, bearer(agent));
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');

    const runs = await gql(stack.gateway.url, `query { runs(filter: { status: "waiting" }, first: 10) { id cursor playbookId } }`, {}, bearer(agent));
    expect(runs.data?.runs).toEqual([expect.objectContaining({ id: run.data?.enrollInPlaybook.id, playbookId })]);
    const cancelled = await gql(stack.gateway.url, `mutation($r: ID!) { cancelRun(runId: $r) { status endReason } }`, { r: run.data?.enrollInPlaybook.id }, bearer(agent));
    expect(cancelled.data?.cancelRun).toEqual({ status: 'cancelled', endReason: 'cancelled' });

    const task = await gql(stack.gateway.url, `mutation($i: CreateTaskInput!) { createTask(input: $i) { id status priority } }`, { i: { profileId: PROFILE, team: 'cs', title: 'Call back', priority: 'HIGH' } }, bearer(agent));
    const taskId = task.data?.createTask.id;
    expect(task.data?.createTask).toMatchObject({ status: 'open', priority: 'high' });
    await gql(stack.gateway.url, `mutation($t: ID!) { assignTask(taskId: $t, assignee: "kim") { id } }`, { t: taskId }, bearer(agent));
    const done = await gql(stack.gateway.url, `mutation($t: ID!) { completeTask(taskId: $t, outcome: "saved", note: "kept") { status outcome assignee } }`, { t: taskId }, bearer(agent));
    expect(done.data?.completeTask).toEqual({ status: 'done', outcome: 'saved', assignee: 'kim' });
    const badPage = await gql(stack.gateway.url, `query { tasks(first: 1000) { id } }`, {}, bearer(agent));
    expect(badPage.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const rival = await gql(stack.gateway.url, `query { runs { id } tasks { id } playbooks { id } }`, {}, bearer(stranger));
    expect(rival.data).toEqual({ runs: [], tasks: [], playbooks: [] });
  });

  it('moves a run waiting for an event when the customer sends it through /v1 (signals feeds the action queue)', async () => {
    const steps = [
      { id: 'opened', type: 'waitForEvent', event: 'Email Opened', where: [], timeoutSeconds: 86400, onEvent: 'call', onTimeout: null },
      { id: 'call', type: 'createTask', team: 'cs', title: 'Follow up the opened offer', priority: 'high', dueInSeconds: 3600, next: null },
    ];
    const created = await gql(stack.gateway.url, CREATE, { input: { name: 'Opened offer', holdoutFraction: 0, steps } }, bearer(admin));
    expect(created.errors).toBeUndefined();
    const profile = await gql(stack.gateway.url, `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "u-opens" }] }) { id } }`, {}, bearer(admin));
    const profileId = profile.data?.upsertProfile.id as string;
    const enrol = `mutation($p: ID!, $f: ID!) { enrollInPlaybook(playbookId: $p, profileId: $f) { id status stepId } }`;
    const run = await gql(stack.gateway.url, enrol, { p: created.data?.createPlaybook.id, f: profileId }, bearer(agent));
    expect(run.data?.enrollInPlaybook).toMatchObject({ status: 'waiting', stepId: 'opened' });

    const writeKey = await stack.key('shop', ['events:write']);
    const res = await fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/track'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
      body: JSON.stringify({ userId: 'u-opens', event: 'Email Opened', messageId: 'opened-1' }),
    });
    expect(res.status).toBe(200);

    const tasksOf = async () =>
      (await gql(stack.gateway.url, `query($f: ID!) { tasks(filter: { profileId: $f }) { title priority status } }`, { f: profileId }, bearer(agent))).data?.tasks as unknown[] | undefined;
    await waitFor(async () => ((await tasksOf())?.length ?? 0) > 0, 30_000, 100);
    expect(await tasksOf()).toEqual([{ title: 'Follow up the opened offer', priority: 'high', status: 'open' }]);
  });
});
