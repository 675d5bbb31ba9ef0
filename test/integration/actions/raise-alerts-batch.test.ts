import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import type { AlertRuleDraft } from '../../../subgraphs/actions/domain/validate-alert-rule';
import { AlertRuleState } from '../../../subgraphs/actions/entities/alert-rule-state.entity';
import { AlertRuleVersion } from '../../../subgraphs/actions/entities/alert-rule-version.entity';
import { raiseAlerts, startRaiseAlertsWorker } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { ALERT_RAISED, type AlertRaisedEvent } from '../../../subgraphs/common/pubsub';
import { queueOptions, RAISE_ALERTS, type RaiseAlertsBatch, type RiskChangeForAlerts } from '../../../subgraphs/common/queues';
import { useActionsHarness } from '../../fixtures/actions-harness';
import { listenTo } from '../../fixtures/pubsub-listener';
import { waitFor } from '../../fixtures/wait-for';

const bucketOf = (score: number) => (score >= 75 ? 'high' : score >= 50 ? 'medium' : 'low');
/** A change of `profileId` from `previous` to `score`, with a fresh (time-ordered) score id. */
const change = (profileId: string, score: number, previous: number | null, over: Partial<RiskChangeForAlerts> = {}): RiskChangeForAlerts => ({
  profileId,
  scoreId: uuidv7(),
  kind: 'churn',
  score,
  previousScore: previous,
  bucket: bucketOf(score),
  previousBucket: previous === null ? null : bucketOf(previous),
  clv: 1200,
  revenueAtRisk: 800,
  reasons: [{ factor: 'days_since_last_purchase', contribution: 1.2, description: 'No purchase for 90 days', evidence: ['last order 2026-09-01'] }],
  segmentIds: [],
  ...over,
});
const thresholdRule = (over: Partial<AlertRuleDraft> = {}): AlertRuleDraft => ({
  name: 'Churn over 70',
  severity: 'critical',
  team: 'retention',
  trigger: { type: 'risk_crossing', riskKind: 'churn', threshold: 70, direction: 'up', hysteresis: 5 },
  ...over,
});

/** The batch stage of alerting against real SQL (SQLite, or PostgreSQL under FORESIGHT_TEST_DB=postgres) and real Redis. */
describe('raiseAlerts (batches)', () => {
  const h = useActionsHarness();
  const { em, alertsOf, rules } = h;
  const run = (data: RaiseAlertsBatch, now?: Date) => raiseAlerts({ id: `job-${data.tenantId}`, data }, h.actions.deps, now);

  it('creates the default rule once, even when batches and readers ask for it at the same time', async () => {
    const tenantId = 'fresh';
    const p = uuidv7();
    const scoredAt = '2026-11-30T10:00:00.000Z';
    await Promise.all([run({ tenantId, changes: [change(p, 80, 40, { scoredAt })] }), run({ tenantId, changes: [change(uuidv7(), 20, null)] }), rules(tenantId).list(false)]);
    const stored = await em().find(AlertRuleVersion, { tenantId });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ builtIn: true, version: 1, name: 'Entered High risk', team: 'cx', severity: 'high' });
    const [alert] = await alertsOf(tenantId);
    expect(alert).toMatchObject({ profileId: p, type: 'risk_high', ruleId: stored[0].ruleId, ruleVersion: 1, status: 'open', severity: 'high', team: 'cx' });
    // the moment the score behind it was computed, for the KPI's signal-to-first-action time
    expect(alert.signalAt?.toISOString()).toBe(scoredAt);
    expect(await rules(tenantId).list(false)).toHaveLength(1);
  });

  it('raises nothing new when the same batch runs again, and publishes only the new alerts', async () => {
    const tenantId = 'replay';
    await rules(tenantId).create(thresholdRule());
    const sub = await listenTo(h.listener, h.actions.deps.redis, ALERT_RAISED, tenantId, h.env.config.queuePrefix);
    const [a, b] = [uuidv7(), uuidv7()];
    const batch: RaiseAlertsBatch = { tenantId, changes: [change(a, 72, 60), change(b, 80, 45)] };
    const first = await run(batch);
    // a: crosses 70 (threshold rule); b: crosses 70 and enters High (both rules)
    expect(first.raised).toHaveLength(3);
    const again = await run(batch);
    expect(again.raised).toEqual([]);
    expect(await alertsOf(tenantId)).toHaveLength(3);
    // a sentinel alert: once it arrives, everything published before it has arrived too
    const sentinel = uuidv7();
    await run({ tenantId, changes: [change(sentinel, 90, 10)] });
    await waitFor(() => sub.events.some((e) => e.profileId === sentinel));
    const published = sub.events.filter((e: AlertRaisedEvent) => e.profileId !== sentinel);
    expect(published.map((e) => e.alertId).sort()).toEqual(first.raised.map((r) => r.id).sort());
    const critical = published.find((e) => e.profileId === a)!;
    expect(critical).toMatchObject({ severity: 'critical', team: 'retention', type: 'risk_threshold', score: 72, previousScore: 60, scoreKind: 'churn' });
    expect(critical.reasons[0]).toMatchObject({ factor: 'days_since_last_purchase', evidence: ['last order 2026-09-01'] });
    await sub.stop();
  });

  it('keeps a threshold rule armed/disarmed in SQL across batches: one alert while the score hovers, another after it fell below the margin', async () => {
    const tenantId = 'hysteresis';
    const rule = await rules(tenantId).create(thresholdRule());
    const p = uuidv7();
    const path = [60, 71, 69, 70.5, 66, 71, 64, 72];
    for (let i = 1; i < path.length; i++) await run({ tenantId, changes: [change(p, path[i], path[i - 1])] });
    const fired = (await alertsOf(tenantId)).filter((x) => x.ruleId === rule.ruleId);
    expect(fired.map((x) => x.score)).toEqual([71, 72]);
    const [state] = await em().find(AlertRuleState, { tenantId, ruleId: rule.ruleId, profileId: p });
    expect(state).toMatchObject({ active: true });
  });

  it('honours the cool-down per (rule, profile) across batches', async () => {
    const tenantId = 'cooldown';
    await rules(tenantId).create(thresholdRule({ cooldownSeconds: 3600, trigger: { type: 'risk_crossing', bucket: 'high', riskKind: 'churn' } }));
    const p = uuidv7();
    const t0 = new Date('2026-12-01T10:00:00Z');
    const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
    await run({ tenantId, changes: [change(p, 80, 40)] }, at(0));
    await run({ tenantId, changes: [change(p, 60, 80)] }, at(10));
    await run({ tenantId, changes: [change(p, 85, 60)] }, at(20)); // inside the hour: quiet
    await run({ tenantId, changes: [change(p, 60, 85)] }, at(70));
    await run({ tenantId, changes: [change(p, 85, 60)] }, at(80)); // after it: fires
    const own = (await alertsOf(tenantId)).filter((x) => x.team === 'retention');
    expect(own.map((x) => x.score)).toEqual([80, 85]);
  });

  it('applies conditions: revenue at risk, CLV and segment membership', async () => {
    const tenantId = 'conditions';
    const segment = uuidv7();
    await rules(tenantId).create(thresholdRule({ conditions: { revenueAtRiskAbove: 500, clvAbove: 1000, segmentIds: [segment] } }));
    const [ok, poor, outside] = [uuidv7(), uuidv7(), uuidv7()];
    await run({
      tenantId,
      changes: [change(ok, 72, 60, { segmentIds: [segment] }), change(poor, 72, 60, { segmentIds: [segment], clv: 900 }), change(outside, 72, 60)],
    });
    expect((await alertsOf(tenantId)).filter((x) => x.team === 'retention').map((x) => x.profileId)).toEqual([ok]);
  });

  it('keeps alerts on the rule version they fired under after an update; archived rules raise nothing', async () => {
    const tenantId = 'versions';
    const v1 = await rules(tenantId).create(thresholdRule());
    await run({ tenantId, changes: [change(uuidv7(), 72, 60)] });
    const v2 = await rules(tenantId).update(v1.ruleId, thresholdRule({ team: 'vip' }));
    expect(v2).toMatchObject({ ruleId: v1.ruleId, version: 2 });
    await run({ tenantId, changes: [change(uuidv7(), 72, 60)] });
    await rules(tenantId).archive(v1.ruleId);
    await run({ tenantId, changes: [change(uuidv7(), 72, 60)] });
    const own = (await alertsOf(tenantId)).filter((x) => x.ruleId === v1.ruleId);
    expect(own.map((x) => [x.ruleVersion, x.team])).toEqual([
      [1, 'retention'],
      [2, 'vip'],
    ]);
    expect(await em().count(AlertRuleVersion, { tenantId, ruleId: v1.ruleId })).toBe(2);
  });

  it('uses only the tenant’s own rules', async () => {
    await rules('owner').create(thresholdRule());
    const res = await run({ tenantId: 'stranger', changes: [change(uuidv7(), 72, 60)] });
    expect(res.raised).toEqual([]); // the stranger has only the default rule, and 72 is not High
  });

  it('accepts the single-crossing payload queued before batches', async () => {
    const p = uuidv7();
    await raiseAlerts({ id: 'old', data: { tenantId: 'legacy', profileId: p, scoreId: uuidv7(), score: 81, bucket: 'high', previousBucket: 'medium' } }, h.actions.deps);
    expect(await alertsOf('legacy')).toMatchObject([{ profileId: p, type: 'risk_high', message: 'Churn risk rose to 81/100 (medium → high).' }]);
  });

  it('rejects a malformed change by its index and keeps the others', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    const changes = [change(a, 80, 40), { ...change(b, 80, 40), score: 'high' } as unknown as RiskChangeForAlerts, change(b, 82, 40)];
    const res = await run({ tenantId: 'partial', changes });
    expect(res.rejected).toEqual([{ index: 1, reason: 'score must be a number from 0 to 100' }]);
    expect((await alertsOf('partial')).map((x) => x.profileId).sort()).toEqual([a, b].sort());
  });

  it('consumes batches from the real queue', async () => {
    const running = startRaiseAlertsWorker(h.actions.deps);
    const queue = new Queue<RaiseAlertsBatch>(RAISE_ALERTS, queueOptions(h.actions.deps.redis, h.env.config.queuePrefix));
    try {
      const batch: RaiseAlertsBatch = { tenantId: 'queued', changes: [change(uuidv7(), 80, 40), change(uuidv7(), 90, 30)] };
      await queue.add(RAISE_ALERTS, batch, { jobId: 'queued-alerts-1' });
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
      expect(await alertsOf('queued')).toHaveLength(2);
    } finally {
      await queue.close();
      await running.close();
    }
  });
});
