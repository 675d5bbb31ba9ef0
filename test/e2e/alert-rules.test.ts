import { ALERT_RAISED as TOPIC } from '../../subgraphs/common/pubsub';
import { createRiskService } from '../../subgraphs/risk';
import { PRIOR_MODEL_REF } from '../../subgraphs/risk/domain/churn/prior';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe, type Subscription } from '../fixtures/ws-client';

const ALERT_RAISED = /* GraphQL */ `
  subscription Inbox($team: String, $minSeverity: AlertSeverity) {
    alertRaised(team: $team, minSeverity: $minSeverity) {
      id type severity team ruleId ruleVersion status score previousScore scoreKind message
      reasons { factor evidence }
      profile { id }
    }
  }
`;
const CREATE_RULE = /* GraphQL */ `
  mutation($input: AlertRuleInput!) {
    createAlertRule(input: $input) { id version name severity team trigger { type riskKind threshold direction hysteresis } }
  }
`;
const MINUTE = 60_000;
/** Id of the warm-up events that prove a subscriber is registered; never a real alert. */
const WARM_UP = '00000000-0000-7000-8000-00000000beef';
const real = (sub: Subscription<Record<string, any>>) => sub.results.filter((r) => r.data?.alertRaised?.id !== WARM_UP);

/**
 * An admin creates a threshold rule; events posted through `/v1/batch` move a customer's churn
 * score across it; the team's `alertRaised` subscriber gets the alert through the gateway; the
 * team assigns and resolves it; another tenant sees none of it.
 */
describe('alert rules through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  let agent: string;
  let stranger: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('shop', ['admin']);
    writer = await stack.key('shop', ['events:write']);
    agent = await stack.key('shop', ['profiles:read', 'actions:write']);
    stranger = await stack.key('rival', ['admin']);
  });
  afterAll(() => stack?.stop());

  const post = async (batch: unknown[]) => {
    const res = await fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writer}:`).toString('base64')}` },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
  };
  /**
   * Publishes a warm-up alert for `team` until the subscriber has it: from then on it is
   * registered in the actions subgraph, so no real alert published later can be missed.
   */
  const warmUp = (sub: Subscription<Record<string, any>>, team: string, tenantId = 'shop') =>
    waitFor(async () => {
      const at = new Date().toISOString();
      await stack.subgraphs.actions.deps.pubSub.publish(TOPIC, tenantId, {
        tenantId, alertId: WARM_UP, profileId: WARM_UP, ruleId: null, ruleVersion: null, type: 'warm_up', severity: 'low', team, message: 'warm-up',
        score: 0, previousScore: null, bucket: null, previousBucket: null, scoreId: null, scoreKind: null, reasons: [], createdAt: at,
      });
      await new Promise((r) => setTimeout(r, 20)); // one pub/sub hop; the loop only ends on a received event
      return sub.results.some((r) => r.data?.alertRaised?.id === WARM_UP);
    }, 30_000, 50);
  const churnOf = async (userId: string): Promise<{ id: string; score: number | null } | null> => {
    const res = await gql(stack.gateway.url, `query($v: String!) { profileByIdentity(type: USER_ID, value: $v) { id risk { score } } }`, { v: userId }, bearer(admin));
    const p = res.data?.profileByIdentity;
    return p ? { id: p.id, score: p.risk?.score ?? null } : null;
  };

  it('refuses an invalid rule, naming the field, and a rule from a key without admin', async () => {
    const input = { name: 'Bad', team: 'retention', trigger: { type: 'RISK_CROSSING', riskKind: 'churn', threshold: 120 } };
    const bad = await gql(stack.gateway.url, CREATE_RULE, { input }, bearer(admin));
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('input.trigger.threshold');
    const forbidden = await gql(stack.gateway.url, CREATE_RULE, { input: { ...input, trigger: { ...input.trigger, threshold: 50 } } }, bearer(agent));
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  describe('a customer whose payments keep failing', () => {
    let ruleId: string;
    let sub: Subscription<Record<string, any>>;
    let quiet: Subscription<Record<string, any>>;
    let rival: Subscription<Record<string, any>>;
    let alertId: string;
    let profileId: string;

    beforeAll(async () => {
      const created = await gql(
        stack.gateway.url,
        CREATE_RULE,
        { input: { name: 'Churn over 15', severity: 'HIGH', team: 'retention', trigger: { type: 'RISK_CROSSING', riskKind: 'churn', threshold: 15, direction: 'UP', hysteresis: 3 } } },
        bearer(admin),
      );
      expect(created.errors).toBeUndefined();
      ruleId = created.data!.createAlertRule.id;
      sub = subscribe(stack.gateway.wsUrl, ALERT_RAISED, { team: 'retention' }, { authorization: `Bearer ${agent}` });
      // another team's inbox: must stay empty
      quiet = subscribe(stack.gateway.wsUrl, ALERT_RAISED, { team: 'billing' }, { authorization: `Bearer ${agent}` });
      // the other tenant's subscriber to the same team's alerts
      rival = subscribe(stack.gateway.wsUrl, ALERT_RAISED, { team: 'retention' }, { authorization: `Bearer ${stranger}` });
      await warmUp(sub, 'retention');
      await warmUp(quiet, 'billing');
      await warmUp(rival, 'retention', 'rival');
    });
    afterAll(() => Promise.all([sub?.close(), quiet?.close(), rival?.close()]));

    it('creates the rule at version 1 beside the default rule', async () => {
      const res = await gql(stack.gateway.url, `{ alertRules { id version name builtIn team trigger { type bucket threshold } } }`, {}, bearer(admin));
      expect(res.data!.alertRules).toEqual([
        { id: expect.any(String), version: 1, name: 'Entered High risk', builtIn: true, team: 'cx', trigger: { type: 'RISK_CROSSING', bucket: 'high', threshold: null } },
        { id: ruleId, version: 1, name: 'Churn over 15', builtIn: false, team: 'retention', trigger: { type: 'RISK_CROSSING', bucket: null, threshold: 15 } },
      ]);
    });

    it('raises nothing while the score stays below the threshold', async () => {
      const t0 = Date.now() - 10 * MINUTE;
      await post([
        { type: 'identify', messageId: 'al-1', userId: 'shop-u1', traits: { email: 'ada@shop.example' }, timestamp: new Date(t0).toISOString() },
        { type: 'track', messageId: 'al-2', userId: 'shop-u1', event: 'Checkout Started', timestamp: new Date(t0 + MINUTE).toISOString() },
      ]);
      await waitFor(async () => (await churnOf('shop-u1'))?.score != null, 30_000, 200);
      const first = (await churnOf('shop-u1'))!;
      profileId = first.id;
      expect(first.score).toBeLessThan(15);
      const alerts = await gql(stack.gateway.url, `{ alerts(filter: { ruleId: "${ruleId}" }) { id } }`, {}, bearer(agent));
      expect(alerts.data!.alerts).toEqual([]);
    });

    it('delivers the alert to the team’s subscriber once repeated failures push the score across', async () => {
      const t1 = Date.now() - 5 * MINUTE;
      await post(
        ['al-3', 'al-4', 'al-5'].map((messageId, i) => ({
          type: 'track',
          messageId,
          userId: 'shop-u1',
          event: 'Payment Failed',
          properties: { reason: 'card_declined' },
          timestamp: new Date(t1 + i * MINUTE).toISOString(),
        })),
      );
      await waitFor(() => real(sub).length > 0, 30_000, 100);
      const [event] = real(sub);
      expect(event.errors).toBeUndefined();
      const alert = event.data!.alertRaised;
      alertId = alert.id;
      expect(alert).toMatchObject({ type: 'risk_threshold', severity: 'HIGH', team: 'retention', ruleId, ruleVersion: 1, status: 'OPEN', scoreKind: 'churn', profile: { id: profileId } });
      expect(alert.score).toBeGreaterThanOrEqual(15);
      expect(alert.previousScore).toBeLessThan(15);
      expect(alert.reasons.map((r: { factor: string }) => r.factor)).toContain('signals_30d:retry_loop');
      expect(alert.message).toContain('Churn over 15');
    });

    it('lists it in the team inbox, filtered and paged, and on Profile.alerts', async () => {
      const inbox = await gql(stack.gateway.url, `{ alerts(filter: { team: "retention", severity: HIGH, status: OPEN }, first: 1) { id cursor } }`, {}, bearer(agent));
      expect(inbox.data!.alerts).toEqual([{ id: alertId, cursor: expect.any(String) }]);
      const next = await gql(stack.gateway.url, `query($after: String) { alerts(filter: { team: "retention" }, after: $after) { id } }`, { after: inbox.data!.alerts[0].cursor }, bearer(agent));
      expect(next.data!.alerts).toEqual([]);
      const bad = await gql(stack.gateway.url, `{ alerts(after: "nope") { id } }`, {}, bearer(agent));
      expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const profile = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { alerts(filter: { ruleId: "${ruleId}" }) { id } } }`, { id: profileId }, bearer(agent));
      expect(profile.data!.profile.alerts).toEqual([{ id: alertId }]);
    });

    it('is assigned and resolved with an outcome through mutations', async () => {
      const assigned = await gql(
        stack.gateway.url,
        `mutation($id: ID!) { assignAlert(id: $id, assignee: "sam@shop.example", team: "retention-emea") { id assignee team assignedAt status } }`,
        { id: alertId },
        bearer(agent),
      );
      expect(assigned.errors).toBeUndefined();
      expect(assigned.data!.assignAlert).toMatchObject({ id: alertId, assignee: 'sam@shop.example', team: 'retention-emea', status: 'OPEN' });
      expect(assigned.data!.assignAlert.assignedAt).toEqual(expect.any(String));
      const resolve = () =>
        gql(
          stack.gateway.url,
          `mutation($id: ID!) { resolveAlert(id: $id, outcome: SAVED, note: "Offered a new card; payment went through") { id status outcome note resolvedAt acknowledgedAt } }`,
          { id: alertId },
          bearer(agent),
        );
      const resolved = await resolve();
      expect(resolved.errors).toBeUndefined();
      expect(resolved.data!.resolveAlert).toMatchObject({ status: 'RESOLVED', outcome: 'SAVED', note: 'Offered a new card; payment went through' });
      expect((await resolve()).data!.resolveAlert).toEqual(resolved.data!.resolveAlert); // a retried request changes nothing
      const conflict = await gql(stack.gateway.url, `mutation($id: ID!) { resolveAlert(id: $id, outcome: CHURNED) { id } }`, { id: alertId }, bearer(agent));
      expect(conflict.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    });

    it('shows another tenant none of it', async () => {
      const alerts = await gql(stack.gateway.url, `{ alerts { id } }`, {}, bearer(stranger));
      expect(alerts.data!.alerts).toEqual([]);
      const rule = await gql(stack.gateway.url, `query($id: ID!) { alertRule(id: $id) { id } }`, { id: ruleId }, bearer(stranger));
      expect(rule.data!.alertRule).toBeNull();
      const rules = await gql(stack.gateway.url, `{ alertRules { name } }`, {}, bearer(stranger));
      expect(rules.data!.alertRules).toEqual([{ name: 'Entered High risk' }]);
      const assign = await gql(stack.gateway.url, `mutation($id: ID!) { assignAlert(id: $id, assignee: "mallory") { id } }`, { id: alertId }, bearer(stranger));
      expect(assign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const update = await gql(stack.gateway.url, `mutation($id: ID!) { archiveAlertRule(id: $id) { id } }`, { id: ruleId }, bearer(stranger));
      expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    });

    it('delivered one alert to the team, and nothing to another team’s or another tenant’s subscriber', async () => {
      // a sentinel: the default rule raises an alert for the cx team, published after everything above
      const cx = subscribe(stack.gateway.wsUrl, ALERT_RAISED, { team: 'cx' }, { authorization: `Bearer ${agent}` });
      try {
        await warmUp(cx, 'cx');
        await createRiskService(stack.subgraphs.risk.deps, 'shop').record({ profileId, kind: 'churn', probability: 0.9, reasons: [], model: PRIOR_MODEL_REF });
        await waitFor(() => real(cx).length > 0, 30_000, 100);
        expect(real(cx)[0].data!.alertRaised).toMatchObject({ type: 'risk_high', team: 'cx', profile: { id: profileId } });
        expect(real(quiet)).toEqual([]);
        expect(real(rival)).toEqual([]);
        expect(real(sub)).toHaveLength(1);
      } finally {
        await cx.close();
      }
    });
  });
});
