import { randomUUID } from 'node:crypto';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import { nextBestActionKpi, proactiveResolutionKpi } from '../../../subgraphs/actions/domain/action-kpis';
import { newcombeInterval } from '../../../subgraphs/actions/domain/uplift/newcombe';
import { wilsonInterval } from '../../../subgraphs/actions/domain/uplift/wilson';
import { Alert, AlertOutcome, AlertStatus, NO_PROFILE } from '../../../subgraphs/actions/entities/alert.entity';
import { ActionKpisService } from '../../../subgraphs/actions/services/action-kpis.service';
import { MeasurementSettingsService } from '../../../subgraphs/actions/services/measurement-settings.service';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { ActionKpiSeed } from '../../fixtures/action-kpi-seed';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const MINUTE = 60_000;
const FROM = new Date('2026-06-01T00:00:00Z');
const TO = new Date('2026-07-01T00:00:00Z');
const PERIOD = { from: FROM, to: TO };
const at = (days: number) => new Date(FROM.getTime() + days * DAY);

/**
 * The actions part of `kpis` from seeded alerts, runs, deliveries, assignments and outcomes,
 * against hand-computed numbers; another tenant's rows never count.
 */
describe('ActionKpisService', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    actions = await runSubgraph(createActionsSubgraph({ reconcileIntervalMs: 3_600_000 }), env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const kpis = (tenantId: string) => new ActionKpisService(em(tenantId), tenantId);

  it('counts the alerts resolved SAVED among the period’s alerts, false positives and playbook alerts left out', async () => {
    const t = 'ak-resolve';
    const seed = new ActionKpiSeed(em(t), t);
    const resolved = (outcome: AlertOutcome) => ({ status: AlertStatus.RESOLVED, outcome });
    for (let i = 0; i < 44; i++) {
      const outcome = i < 15 ? AlertOutcome.SAVED : i < 20 ? AlertOutcome.CHURNED : i < 24 ? AlertOutcome.FALSE_POSITIVE : i < 27 ? AlertOutcome.NO_ACTION : null;
      seed.alert(i, at(1 + (i % 20)), outcome ? resolved(outcome) : i % 2 ? { status: AlertStatus.ACKNOWLEDGED } : {});
    }
    seed.alert(100, at(-1), resolved(AlertOutcome.SAVED)); // before the period
    seed.alert(101, TO, resolved(AlertOutcome.SAVED)); // at its end: outside
    seed.alert(0, at(3), { profileId: NO_PROFILE }); // a guardrail alert is about no customer
    await seed.flush();
    const rival = new ActionKpiSeed(em('ak-rival'), 'ak-rival');
    for (let i = 0; i < 50; i++) rival.alert(i, at(2), resolved(AlertOutcome.SAVED));
    await rival.flush();

    // 44 − 4 false positives = 40 alerts, 15 saved
    const k = await kpis(t).proactiveResolution(PERIOD);
    expect(k).toEqual({ alerts: 40, resolvedProactively: 15, rate: { value: 15 / 40, ...wilsonInterval(15, 40) }, sampleNote: null });
    expect(await kpis('ak-rival').proactiveResolution(PERIOD)).toMatchObject({ alerts: 50, resolvedProactively: 50 });
    expect(proactiveResolutionKpi(29, 10)).toEqual({ alerts: 29, resolvedProactively: 10, rate: null, sampleNote: '29 alerts; at least 30 are needed' });
  });

  it('counts an alert as resolved proactively only when it was resolved before its customer contacted support or churned', async () => {
    const t = 'ak-contact';
    const seed = new ActionKpiSeed(em(t), t);
    const alerts = Array.from({ length: 40 }, (_, i) => seed.alert(i, at(1 + (i % 10)), { status: AlertStatus.RESOLVED, outcome: AlertOutcome.SAVED, resolvedAt: at(3 + (i % 10)) }));
    await seed.flush();
    const after = (i: number, days: number) => new Date(alerts[i].createdAt.getTime() + days * DAY);
    const event = (i: number, name: string, occurredAt: Date) => ({ eventId: randomUUID(), profileId: alerts[i].profileId, name, properties: {}, occurredAt: occurredAt.toISOString() });
    const batch = [
      // a ticket one day after the alert, a day before it was resolved: not proactive (10 alerts)
      ...Array.from({ length: 10 }, (_, i) => event(i, 'Ticket Created', after(i, 1))),
      // churned three days after, once resolved: still proactive
      ...Array.from({ length: 5 }, (_, i) => event(10 + i, 'Account Closed', after(10 + i, 3))),
      // a ticket before the alert was raised, and an event that is no contact: no effect
      event(15, 'Ticket Created', after(15, -1)),
      event(16, 'Page Viewed', after(16, 1)),
    ];
    const job = (id: string, events: typeof batch) => ({ id, data: { tenantId: t, events, pendingSince: new Date().toISOString() } });
    await applyPlaybookEvents(job('contact-1', batch), actions.deps);
    expect((await kpis(t).proactiveResolution(PERIOD)).resolvedProactively).toBe(30);
    // the same batch again changes nothing
    await applyPlaybookEvents(job('contact-1-again', batch), actions.deps);
    expect((await kpis(t).proactiveResolution(PERIOD)).resolvedProactively).toBe(30);
    // a support call the help desk logged earlier arrives late, under a name the tenant adds:
    // profile 10 contacted support before its alert was resolved after all
    await new MeasurementSettingsService(em(t), t).update({ supportEvents: ['Ticket Created', 'Call Logged'] });
    await applyPlaybookEvents(job('contact-2', [event(10, 'Call Logged', after(10, 1))]), actions.deps);
    const k = await kpis(t).proactiveResolution(PERIOD);
    expect(k).toMatchObject({ alerts: 40, resolvedProactively: 29 });
    // the moment kept is the earliest contact after the alert
    const stored = await em(t).findOneOrFail(Alert, { id: alerts[10].id }, { disableIdentityMap: true });
    expect(stored.customerActedAt?.toISOString()).toBe(after(10, 1).toISOString());
  });

  it('refuses contact event lists that are too long or hold blank names, naming the field', async () => {
    const service = new MeasurementSettingsService(em('ak-contact-bad'), 'ak-contact-bad');
    await expect(service.update({ churnEvents: Array.from({ length: 21 }, (_, i) => `e${i}`) })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('input.churnEvents') });
    await expect(service.update({ supportEvents: ['Ticket Created', ' '] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('input.supportEvents[1]') });
    expect((await service.get()).supportEvents).toEqual(['Ticket Created', 'Support Ticket Created', 'Support Contacted']);
  });

  it('compares the goal rate of treated customers with the holdout’s over every playbook', async () => {
    const t = 'ak-nba';
    const seed = new ActionKpiSeed(em(t), t);
    const churn = randomUUID();
    const buy = randomUUID();
    // churn playbook: 40 treated, 8 churn (one twice, one with a guardrail event too); 30 control, 15 churn
    for (let i = 0; i < 40; i++) seed.assignment(churn, i, 'treatment', 'churned', at(2), i < 8 ? (i === 0 ? 2 : 1) : 0, i === 9 ? 1 : 0);
    for (let i = 40; i < 70; i++) seed.assignment(churn, i, 'control', 'churned', at(3), i < 55 ? 1 : 0);
    // purchase playbook: 10 treated, 6 buy; 10 control, 2 buy
    for (let i = 100; i < 110; i++) seed.assignment(buy, i, 'treatment', 'converted', at(4), i < 106 ? 1 : 0);
    for (let i = 110; i < 120; i++) seed.assignment(buy, i, 'control', 'converted', at(4), i < 112 ? 1 : 0);
    // not counted: the global control, and assignments outside the period
    for (let i = 200; i < 210; i++) seed.assignment(churn, i, 'global_control', 'churned', at(5), 0);
    for (let i = 300; i < 310; i++) seed.assignment(buy, i, 'treatment', 'converted', at(-3), 1);
    await seed.flush();
    const rival = new ActionKpiSeed(em('ak-rival2'), 'ak-rival2');
    for (let i = 0; i < 40; i++) rival.assignment(churn, i, 'control', 'churned', at(2), 1);
    await rival.flush();

    // treated: 32 kept + 6 bought = 38 of 50; control: 15 kept + 2 bought = 17 of 40
    const k = await kpis(t).nextBestActionAccuracy(PERIOD);
    expect(k.treated).toEqual({ customers: 50, goalsMet: 38, rate: { value: 38 / 50, ...wilsonInterval(38, 50) } });
    expect(k.control).toEqual({ customers: 40, goalsMet: 17, rate: { value: 17 / 40, ...wilsonInterval(17, 40) } });
    const interval = newcombeInterval({ successes: 38, trials: 50 }, { successes: 17, trials: 40 });
    expect(k.difference?.value).toBeCloseTo(38 / 50 - 17 / 40, 12);
    expect(k.difference).toMatchObject(interval);
    expect(k.sampleNote).toBeNull();
    expect(await kpis('ak-rival2').nextBestActionAccuracy(PERIOD)).toMatchObject({ treated: { customers: 0, rate: null }, control: { customers: 40, goalsMet: 0 }, difference: null, sampleNote: 'treated has 0 customers; at least 30 per arm are needed' });
    expect(nextBestActionKpi({ customers: 30, goalsMet: 3 }, { customers: 12, goalsMet: 1 }).sampleNote).toBe('control has 12 customers; at least 30 per arm are needed');
  });

  it('measures the wait from the fact behind each alert to its first message sent (p50, p90)', async () => {
    const t = 'ak-latency';
    const seed = new ActionKpiSeed(em(t), t);
    // alert i waits (i + 1) minutes for its first sent message: a failed try before, another send
    // after. Alerts 0–9 know their fact: it happened 30 minutes before they were raised
    for (let i = 0; i < 30; i++) {
      const alert = seed.alert(i, at(1 + i / 10));
      if (i < 10) alert.signalAt = new Date(alert.createdAt.getTime() - 30 * MINUTE);
      seed.run(alert, [
        { status: 'failed', afterMs: 10_000 },
        { status: 'sent', afterMs: (i + 1) * MINUTE },
        { status: 'sent', afterMs: (i + 1) * MINUTE + DAY },
      ]);
    }
    // no message sent, no run, an alert outside the period: not counted
    seed.run(seed.alert(50, at(2)), [{ status: 'skipped', afterMs: MINUTE }]);
    seed.alert(51, at(2));
    seed.run(seed.alert(52, at(-2)), [{ status: 'sent', afterMs: MINUTE }]);
    await seed.flush();
    const rival = new ActionKpiSeed(em('ak-rival3'), 'ak-rival3');
    for (let i = 0; i < 5; i++) rival.run(rival.alert(i, at(2)), [{ status: 'sent', afterMs: 1000 }]);
    await rival.flush();

    // waits 11…30 min from raising, and 31…40 from the facts of 0–9: sorted 11…40, nearest rank
    // ⌈0.5·30⌉ = 15th (25 min), ⌈0.9·30⌉ = 27th (37 min)
    expect(await kpis(t).signalToFirstAction(PERIOD)).toEqual({ count: 30, p50Ms: 25 * MINUTE, p90Ms: 37 * MINUTE, sampleNote: null });
    expect(await kpis('ak-rival3').signalToFirstAction(PERIOD)).toEqual({ count: 5, p50Ms: null, p90Ms: null, sampleNote: '5 alerts with a first action; at least 30 are needed' });
  });
});
