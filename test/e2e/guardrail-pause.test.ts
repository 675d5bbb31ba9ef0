import { PlaybookAssignment } from '../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookRunService } from '../../subgraphs/actions/services/playbook-runs.service';
import { ALERT_RAISED as TOPIC } from '../../subgraphs/common/pubsub';
import { PLAYBOOK_EVENTS, type PlaybookEventRef } from '../../subgraphs/common/queues';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe } from '../fixtures/ws-client';

const PLAYBOOK = /* GraphQL */ `
  query($id: ID!) { playbook(id: $id) { id paused pausedAt pauseReason } }
`;
const ALERT_RAISED = /* GraphQL */ `
  subscription($team: String) { alertRaised(team: $team) { id type severity team message profile { id } } }
`;
/** Id of the warm-up events that prove the subscriber is registered; never a real alert. */
const WARM_UP = '00000000-0000-7000-8000-00000000beef';
const profile = (n: number) => `01a21226-0000-7000-a000-${String(n).padStart(12, '0')}`;

/**
 * A playbook whose messages make customers unsubscribe is paused by its guardrail: the admin sees
 * why through the gateway, the team gets an alert about the playbook (no customer) on its `alertRaised`
 * subscription and in its alert list, enrolment is
 * refused until an admin resumes it, and only an admin may.
 */
describe('guardrail pause through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  const tenant = 'shop';

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(tenant, ['admin']);
    writer = await stack.key(tenant, ['actions:write', 'profiles:read']);
    const off = await gql(stack.gateway.url, `mutation { updateMeasurementSettings(input: { globalControlFraction: 0 }) { globalControlFraction } }`, {}, bearer(admin));
    expect(off.errors).toBeUndefined();
  });
  afterAll(() => stack?.stop());

  const em = () => forkForTenant(stack.subgraphs.actions.deps.orm, tenant);

  it('shows the pause and its reason, alerts the team, refuses enrolment, and resumes for an admin only', async () => {
    const input = { name: 'Noisy', holdoutFraction: 0.5, steps: [{ id: 'pause', type: 'wait', seconds: 30 * 86400, next: null }] };
    const created = await gql(stack.gateway.url, `mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id paused pausedAt } }`, { input }, bearer(admin));
    expect(created.data?.createPlaybook).toMatchObject({ paused: false, pausedAt: null });
    const playbookId = created.data?.createPlaybook.id as string;
    // the cx team's inbox, registered in the actions subgraph before anything can pause
    const inbox = subscribe(stack.gateway.wsUrl, ALERT_RAISED, { team: 'cx' }, { authorization: `Bearer ${writer}` });
    await waitFor(async () => {
      await stack.subgraphs.actions.deps.pubSub.publish(TOPIC, tenant, {
        tenantId: tenant, alertId: WARM_UP, profileId: WARM_UP, ruleId: null, ruleVersion: null, type: 'warm_up', severity: 'low', team: 'cx', message: 'warm-up',
        score: 0, previousScore: null, bucket: null, previousBucket: null, scoreId: null, scoreKind: null, reasons: [], createdAt: new Date().toISOString(),
      });
      await new Promise((r) => setTimeout(r, 20)); // one pub/sub hop; the loop only ends on a received event
      return inbox.results.some((r) => r.data?.alertRaised?.id === WARM_UP);
    }, 30_000, 50);
    await em().transactional((tx) => new PlaybookRunService(tx, tenant).enrol(Array.from({ length: 200 }, (_, i) => ({ playbookId, profileId: profile(i + 1), enrolledBy: 'test' }))));
    const log = await em().find(PlaybookAssignment, { playbookId }, { orderBy: { profileId: 'asc' } });
    // half of treated unsubscribe, one of control
    const leavers = [...log.filter((a) => a.arm === 'treatment').filter((_, i) => i % 2 === 0), log.find((a) => a.arm === 'control')!];
    const at = new Date(Date.now() + 60_000).toISOString();
    const events: PlaybookEventRef[] = leavers.map((a, i) => ({ eventId: `unsub-${i}`, profileId: a.profileId, name: 'Unsubscribed', properties: {}, occurredAt: at }));
    await stack.subgraphs.actions.deps.queues.get(PLAYBOOK_EVENTS).add(PLAYBOOK_EVENTS, { tenantId: tenant, events }, { jobId: `${tenant}-events-unsub` });

    await waitFor(async () => (await gql(stack.gateway.url, PLAYBOOK, { id: playbookId }, bearer(admin))).data?.playbook?.paused === true, 30_000);
    const paused = await gql(stack.gateway.url, PLAYBOOK, { id: playbookId }, bearer(admin));
    expect(paused.data?.playbook.pausedAt).toEqual(expect.any(String));
    expect(paused.data?.playbook.pauseReason).toContain('guardrail events significantly more frequent in treated than in control');

    const alerts = await gql(stack.gateway.url, `{ alerts(filter: { team: "cx" }) { type message profile { id } } }`, {}, bearer(writer));
    expect(alerts.errors).toBeUndefined();
    expect(alerts.data?.alerts).toEqual([{ type: 'guardrail', message: expect.stringContaining('Playbook "Noisy" paused'), profile: null }]);
    const pushed = () => inbox.results.map((r) => r.data?.alertRaised).filter((a) => a?.id !== WARM_UP);
    await waitFor(async () => pushed().length > 0, 30_000);
    expect(pushed()).toEqual([{ id: expect.any(String), type: 'guardrail', severity: 'HIGH', team: 'cx', message: expect.stringContaining('Playbook "Noisy" paused'), profile: null }]);
    await inbox.close();

    const ENROL = `mutation($p: ID!, $c: ID!) { enrollInPlaybook(playbookId: $p, profileId: $c) { status } }`;
    const refused = await gql(stack.gateway.url, ENROL, { p: playbookId, c: profile(500) }, bearer(writer));
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringContaining('is paused'), extensions: { code: 'CONFLICT' } });

    const RESUME = `mutation($id: ID!) { resumePlaybook(id: $id) { paused pausedAt pauseReason } }`;
    const forbidden = await gql(stack.gateway.url, RESUME, { id: playbookId }, bearer(writer));
    expect(forbidden.data?.resumePlaybook ?? null).toBeNull();
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(stack.gateway.url, PLAYBOOK, { id: playbookId }, bearer(admin))).data?.playbook.paused).toBe(true);
    const resumed = await gql(stack.gateway.url, RESUME, { id: playbookId }, bearer(admin));
    expect(resumed.data?.resumePlaybook).toEqual({ paused: false, pausedAt: null, pauseReason: null });
    const enrolled = await gql(stack.gateway.url, ENROL, { p: playbookId, c: profile(501) }, bearer(writer));
    expect(enrolled.errors).toBeUndefined();
    expect(['WAITING', 'HELD_OUT', 'waiting', 'held_out']).toContain(enrolled.data?.enrollInPlaybook.status);
  }, 120_000);
});
