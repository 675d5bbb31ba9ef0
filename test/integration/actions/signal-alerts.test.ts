import { Queue, UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { actionsSubgraph } from '../../../subgraphs/actions';
import type { AlertRuleDraft } from '../../../subgraphs/actions/domain/validate-alert-rule';
import { AlertRuleVersion } from '../../../subgraphs/actions/entities/alert-rule-version.entity';
import { Channel } from '../../../subgraphs/actions/entities/channel.entity';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { WebhookDelivery } from '../../../subgraphs/actions/entities/webhook-delivery.entity';
import { alertRuleOf } from '../../../subgraphs/actions/resolvers/alert-rule.type';
import { raiseSignalAlerts } from '../../../subgraphs/actions/workers/raise-signal-alerts.worker';
import { segmentMembershipChanged } from '../../../subgraphs/actions/workers/segment-membership-changed.worker';
import { ALERT_RAISED, type SegmentMembershipChangedEvent } from '../../../subgraphs/common/pubsub';
import { queueOptions, SIGNAL_ALERTS, SIGNAL_ALERTS_DONE, signalAlertsJobId, type SignalAlertsBatch, type SignalForAlerts } from '../../../subgraphs/common/queues';
import { runSubgraph } from '../../../subgraphs/common/run-subgraph';
import { useActionsHarness } from '../../fixtures/actions-harness';
import { listenTo } from '../../fixtures/pubsub-listener';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';
import { waitFor } from '../../fixtures/wait-for';

/** A friction signal of `profileId` with a fresh (time-ordered) id. */
const signal = (profileId: string, type: string, severity: number, over: Partial<SignalForAlerts> = {}): SignalForAlerts => ({
  signalId: uuidv7(),
  profileId,
  type,
  severity,
  detectedAt: '2026-12-01T10:00:00.000Z',
  journeyInstanceId: null,
  summary: '3 × "ID Upload Failed" in 3 min, no success in between',
  eventIds: [uuidv7(), uuidv7(), uuidv7()],
  ...over,
});
const frictionRule = (over: Partial<AlertRuleDraft> = {}): AlertRuleDraft => ({
  name: 'Stuck uploading',
  severity: 'high',
  team: 'onboarding',
  trigger: { type: 'friction_signal', signalType: 'retry_loop', minSeverity: 0.5 },
  ...over,
});

/** FRICTION_SIGNAL alert rules against real SQL (SQLite, or PostgreSQL under FORESIGHT_TEST_DB=postgres) and real Redis. */
describe('raiseSignalAlerts', () => {
  const h = useActionsHarness();
  const { em, alertsOf, rules } = h;
  const run = (data: SignalAlertsBatch, now?: Date, id = signalAlertsJobId(data.tenantId, data.signals.map((s) => s.signalId))) => raiseSignalAlerts({ id, data }, h.actions.deps, now);

  it('raises exactly one alert for a matching signal, with its evidence, however often the job is delivered', async () => {
    const tenantId = 'sig-once';
    const rule = await rules(tenantId).create(frictionRule());
    const sub = await listenTo(h.listener, h.actions.deps.redis, ALERT_RAISED, tenantId, h.env.config.queuePrefix);
    const p = uuidv7();
    const s = signal(p, 'retry_loop', 0.5);
    const batch = { tenantId, signals: [s] };
    const first = await run(batch);
    const again = await run(batch);
    await run(batch, undefined, 'another-delivery');
    expect(first.raised).toHaveLength(1);
    expect(again.raised).toEqual([]);
    const alerts = await alertsOf(tenantId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      profileId: p,
      type: 'signal_retry_loop',
      triggerId: s.signalId,
      signalAt: new Date(s.detectedAt),
      ruleId: rule.ruleId,
      ruleVersion: 1,
      severity: 'high',
      team: 'onboarding',
      status: 'open',
      score: 50,
      scoreId: null,
      sourceKey: `${rule.ruleId}-signal-${s.signalId}`,
    });
    expect(alerts[0].message).toContain(s.summary);
    expect(alerts[0].reasons).toEqual([{ factor: 'signal:retry_loop', contribution: 0.5, description: s.summary, evidence: [s.signalId, ...s.eventIds] }]);
    // a sentinel alert: once it arrives, everything published before it has arrived too
    const sentinel = signal(uuidv7(), 'retry_loop', 0.9);
    await run({ tenantId, signals: [sentinel] });
    await waitFor(() => sub.events.some((e) => e.triggerId === sentinel.signalId));
    expect(sub.events.filter((e) => e.triggerId !== sentinel.signalId)).toEqual([expect.objectContaining({ alertId: alerts[0].id, triggerId: s.signalId, type: 'signal_retry_loop' })]);
    await sub.stop();
  });

  it('raises nothing for a signal below the least severity or of another type', async () => {
    const tenantId = 'sig-miss';
    await rules(tenantId).create(frictionRule());
    const p = uuidv7();
    const { raised } = await run({ tenantId, signals: [signal(p, 'retry_loop', 0.49), signal(p, 'rage_click', 1), signal(p, 'stall', 0.8)] });
    expect(raised).toEqual([]);
    expect(await alertsOf(tenantId)).toEqual([]);
    // the same profile's matching signal still fires: the misses moved no state
    expect((await run({ tenantId, signals: [signal(p, 'retry_loop', 0.7)] })).raised).toHaveLength(1);
  });

  it('honours the cool-down per (rule, profile) across batches, by when the signals happened, and not across profiles', async () => {
    const tenantId = 'sig-cooldown';
    await rules(tenantId).create(frictionRule({ cooldownSeconds: 3600 }));
    const [p, q] = [uuidv7(), uuidv7()];
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
    const fired = signal(p, 'retry_loop', 0.6, { detectedAt: at(0) });
    await run({ tenantId, signals: [fired] });
    // two in one batch inside the hour, and one in a later batch: quiet
    await run({ tenantId, signals: [signal(p, 'retry_loop', 0.9, { detectedAt: at(10) }), signal(p, 'retry_loop', 0.9, { detectedAt: at(20) })] });
    await run({ tenantId, signals: [signal(p, 'retry_loop', 0.9, { detectedAt: at(59) })] });
    const other = signal(q, 'retry_loop', 0.6, { detectedAt: at(30) }); // another profile: its own cool-down
    await run({ tenantId, signals: [other] });
    const after = signal(p, 'retry_loop', 0.6, { detectedAt: at(61) }); // after the hour: fires
    await run({ tenantId, signals: [after] });
    // a signal re-sent late (its job lost) inside the hour of an alert stays quiet whenever it runs
    await run({ tenantId, signals: [signal(p, 'retry_loop', 0.9, { detectedAt: at(40) })] });
    expect((await alertsOf(tenantId)).map((a) => a.triggerId)).toEqual([fired.signalId, other.signalId, after.signalId]);
  });

  it('never fires another tenant’s rule on a signal, and keeps the alert in the signal’s tenant', async () => {
    await rules('sig-b').create(frictionRule({ name: 'B watches retry loops' }));
    const p = uuidv7();
    // tenant A has no FRICTION_SIGNAL rule (only the built-in risk rule)
    const { raised } = await run({ tenantId: 'sig-a', signals: [signal(p, 'retry_loop', 1)] });
    expect(raised).toEqual([]);
    expect(await alertsOf('sig-a')).toEqual([]);
    expect(await alertsOf('sig-b')).toEqual([]);
    // and B's own signal raises B's alert, in B
    await run({ tenantId: 'sig-b', signals: [signal(p, 'retry_loop', 1)] });
    expect(await alertsOf('sig-b')).toHaveLength(1);
    expect(await alertsOf('sig-a')).toEqual([]);
  });

  it('applies segment conditions from the segment changes actions has heard of; refuses a CLV condition, which a signal cannot meet', async () => {
    const tenantId = 'sig-conditions';
    const vip = uuidv7();
    await rules(tenantId).create(frictionRule({ conditions: { segmentIds: [vip] } }));
    await expect(rules(tenantId).create(frictionRule({ name: 'Valuable', conditions: { clvAbove: 100 } }))).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('input.conditions.clvAbove: applies only to a RISK_CROSSING trigger'),
    });
    const [inside, left, outside] = [uuidv7(), uuidv7(), uuidv7()];
    const stay = (profileId: string, change: 'entered' | 'exited', membershipId: string): SegmentMembershipChangedEvent => ({
      tenantId,
      segmentId: vip,
      segmentName: 'VIP',
      profileId,
      membershipId,
      change,
      at: '2026-12-01T09:00:00.000Z',
    });
    const [m1, m2] = [uuidv7(), uuidv7()];
    for (const data of [stay(inside, 'entered', m1), stay(left, 'entered', m2), stay(left, 'exited', m2), stay(left, 'entered', m2)]) {
      await segmentMembershipChanged({ id: `${data.membershipId}-${data.change}`, data }, h.actions.deps);
    }
    const signals = [signal(inside, 'retry_loop', 1), signal(left, 'retry_loop', 1), signal(outside, 'retry_loop', 1)];
    const { raised } = await run({ tenantId, signals });
    // the replayed entry of the stay that ended does not reopen it
    expect(raised.map((a) => [a.profileId, a.team])).toEqual([[inside, 'onboarding']]);
  });

  it('names a CLV condition stored on a signal rule before such rules were refused as the reason the rule can never fire', async () => {
    const tenantId = 'sig-stored-before';
    await rules(tenantId).create(frictionRule({ name: 'Sound' }));
    const old = await rules(tenantId).create(frictionRule({ name: 'Stored before the refusal' }));
    // what an earlier version let through: written straight to its stored version, as it was then
    await em().nativeUpdate(AlertRuleVersion, { tenantId, ruleId: old.ruleId }, { conditions: { clvAbove: 100 } });
    const listed = new Map((await rules(tenantId).list(false)).map((row) => [row.name, alertRuleOf(row).problems]));
    expect(listed.get('Sound')).toEqual([]);
    expect(listed.get('Stored before the refusal')).toEqual(['conditions.clvAbove: applies only to a RISK_CROSSING trigger: a FRICTION_SIGNAL trigger carries no CLV or revenue at risk']);
    // mended by an update without the condition
    const mended = await rules(tenantId).update(old.ruleId, frictionRule({ name: 'Stored before the refusal' }));
    expect(alertRuleOf(mended).problems).toEqual([]);
  });

  it('delivers to alert.raised webhooks and enrols in the rule’s playbook, once', async () => {
    const tenantId = 'sig-deliver';
    const playbook = await createTreatingEveryone(em(), tenantId, { name: 'Help with upload', steps: [{ id: 'done', type: 'exit' }] });
    await rules(tenantId).create(frictionRule({ playbookId: playbook.playbookId }));
    const channel = em().create(Channel, { tenantId, name: 'ops', kind: 'webhook', config: { url: 'https://hooks.example.com/a', subscribe: ['alert.raised'], allowedHosts: [] }, secrets: [] });
    await em().persistAndFlush(channel);
    const p = uuidv7();
    const batch = { tenantId, signals: [signal(p, 'retry_loop', 0.8)] };
    await run(batch);
    await run(batch);
    const [alert] = await alertsOf(tenantId);
    const deliveries = await em().find(WebhookDelivery, { tenantId });
    expect(deliveries).toEqual([expect.objectContaining({ channelId: channel.id, sourceId: alert.id, eventType: 'alert.raised' })]);
    expect(deliveries[0].payload).toMatchObject({ triggerId: batch.signals[0].signalId, type: 'signal_retry_loop' });
    const runs = await em().find(PlaybookRun, { tenantId });
    expect(runs).toEqual([expect.objectContaining({ playbookId: playbook.playbookId, profileId: p, enrolledBy: `alert:${alert.id}` })]);
  });

  /** The acknowledgements actions sent for the tenant, once the ones it gathers are sent. */
  const acksOf = async (tenantId: string) => {
    await h.actions.deps.queues.flushAcks();
    return (await h.actions.deps.queues.get(SIGNAL_ALERTS_DONE).getJobs()).filter((j) => j.data.tenantId === tenantId);
  };

  it('acknowledges the batch’s signals to signals once evaluated, the acks of a window in one job', async () => {
    const tenantId = 'sig-ack';
    const batch = { tenantId, signals: [signal(uuidv7(), 'retry_loop', 0.2), signal(uuidv7(), 'stall', 0.9)] };
    const next = { tenantId, signals: [signal(uuidv7(), 'stall', 0.3)] };
    await run(batch, undefined, 'ack-job');
    await run(next, undefined, 'ack-job-2');
    const acks = await acksOf(tenantId);
    expect(acks.map((j) => j.data)).toEqual([{ tenantId, signalIds: [...batch.signals, ...next.signals].map((s) => s.signalId) }]);
  });

  it('skips a malformed signal by index, and fails a payload without a tenant for good', async () => {
    const tenantId = 'sig-bad';
    await rules(tenantId).create(frictionRule());
    const good = signal(uuidv7(), 'retry_loop', 0.9);
    const mild = { ...good, signalId: uuidv7(), severity: 7 };
    const { raised, rejected } = await run({ tenantId, signals: [{ ...good, signalId: 'nope' }, good, mild] }, undefined, 'mixed');
    expect(raised).toHaveLength(1);
    expect(rejected).toEqual([
      { index: 0, reason: 'signalId must be a signal id (uuid)' },
      { index: 2, reason: 'severity must be a number from 0 to 1' },
    ]);
    // acknowledged all the same (with a usable id): re-sending it would fail again
    expect((await acksOf(tenantId)).flatMap((j) => j.data.signalIds)).toEqual([good.signalId, mild.signalId]);
    await expect(run({ signals: [] } as unknown as SignalAlertsBatch, undefined, 'bad')).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('consumes signal-alerts jobs from the real queue through the worker', async () => {
    const tenantId = 'sig-queue';
    await rules(tenantId).create(frictionRule());
    const withWorkers = await runSubgraph(actionsSubgraph, h.env.config, { port: 0 });
    const queue = new Queue<SignalAlertsBatch>(SIGNAL_ALERTS, queueOptions(h.actions.deps.redis, h.env.config.queuePrefix));
    try {
      const data = { tenantId, signals: [signal(uuidv7(), 'retry_loop', 0.9)] };
      const jobId = signalAlertsJobId(tenantId, [data.signals[0].signalId]);
      await queue.add(SIGNAL_ALERTS, data, { jobId });
      await queue.add(SIGNAL_ALERTS, data, { jobId });
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
      expect((await alertsOf(tenantId)).map((a) => a.triggerId)).toEqual([data.signals[0].signalId]);
    } finally {
      await queue.close();
      await withWorkers.close();
    }
  });
});
