import { uuidv7 } from 'uuidv7';

import { PLAYBOOK_EVENTS, RAISE_ALERTS, RECORD_ACTIVITY } from '../../subgraphs/common/queues';
import { meterFinishedJobs } from '../../subgraphs/common/stage-meter';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { createSegmentService } from '../../subgraphs/profiles/services/segment.service';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const QUERY = /* GraphQL */ `
  {
    pipelineStatus {
      caughtUp
      thresholdMs
      stages { stage waiting active delayed failed unprocessedEvents handedOnEvents oldestWaitingAgeMs eventsPerSecond waitP50Ms waitP99Ms runP50Ms runP99Ms caughtUp }
      tenants {
        tenantId caughtUp inFlightEvents inFlightHistoryEvents maxInFlightEvents
        stages { stage pendingEvents oldestWaitingAgeMs eventsPerSecond waitP50Ms waitP99Ms caughtUp partial }
      }
    }
  }
`;

/** An hour: the workers of the stack leave these jobs alone while the test reads them. */
const PARKED = 3_600_000;

describe('pipelineStatus through the gateway', () => {
  let stack: Stack;
  let admin: string;
  const jobIds: { queue: typeof RECORD_ACTIVITY | typeof RAISE_ALERTS | typeof PLAYBOOK_EVENTS; id: string }[] = [];
  let eventId: string;
  let handedOnIds: string[];

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('lagging', ['admin']);
    const { deps } = stack.subgraphs.signals;
    const now = Date.now();
    // an acknowledged event the pipeline has not processed for 90 s (queued just now, so the
    // sweeper leaves it alone for its grace period)
    const em = forkAcrossTenants(deps.orm);
    const event = em.create(Event, {
      tenantId: 'lagging',
      messageId: 'lagging-1',
      type: 'track',
      name: 'Order Completed',
      userId: 'u1',
      timestamp: new Date(now - 90_000),
      receivedAt: new Date(now - 90_000),
      enqueuedAt: new Date(now),
    });
    // two processed events whose hand-offs were never acknowledged and whose jobs Redis lost (only
    // their SQL markers say so, younger than the sweepers' grace period): one to risk 40 s ago,
    // one to actions' playbook runs 100 s ago
    const profileOfHandOffs = uuidv7();
    const handedOn = (n: number, marker: Partial<Pick<Event, 'handOffPendingSince' | 'playbookEventsPendingSince'>>) =>
      em.create(Event, {
        tenantId: 'lagging',
        messageId: `lagging-handed-on-${n}`,
        type: 'track',
        name: 'Email Opened',
        userId: 'u1',
        profileId: profileOfHandOffs,
        timestamp: new Date(now - 120_000),
        receivedAt: new Date(now - 120_000),
        enqueuedAt: new Date(now - 120_000),
        processedAt: new Date(now - 110_000),
        ...marker,
      });
    const toRisk = handedOn(1, { handOffPendingSince: new Date(now - 40_000) });
    const toRuns = handedOn(2, { playbookEventsPendingSince: new Date(now - 100_000) });
    await em.flush();
    eventId = event.id;
    handedOnIds = [toRisk.id, toRuns.id];
    // a record-activity batch of 3 items queued 30 s ago, and another tenant's alert job
    const activity = deps.queues.get(RECORD_ACTIVITY) as unknown as import('bullmq').Queue;
    await activity.add(RECORD_ACTIVITY, { tenantId: 'lagging', items: [{}, {}, {}] }, { jobId: 'lagging-test-batch', delay: PARKED, timestamp: now - 30_000 });
    jobIds.push({ queue: RECORD_ACTIVITY, id: 'lagging-test-batch' });
    const alerts = deps.queues.get(RAISE_ALERTS) as unknown as import('bullmq').Queue;
    await alerts.add(RAISE_ALERTS, { tenantId: 'someone-else', profileId: 'p' }, { jobId: 'someone-else-test', delay: PARKED, timestamp: now - 10_000 });
    jobIds.push({ queue: RAISE_ALERTS, id: 'someone-else-test' });
    // two events handed to actions for the playbook runs waiting on them, not yet matched (their
    // playbook_events_pending_since markers set), 20 s ago
    const playbookEvents = deps.queues.get(PLAYBOOK_EVENTS) as unknown as import('bullmq').Queue;
    const named = (n: number) => ({ eventId: `e${n}`, profileId: 'p', name: 'Email Opened', properties: {}, occurredAt: new Date(now).toISOString() });
    await playbookEvents.add(PLAYBOOK_EVENTS, { tenantId: 'lagging', events: [named(1), named(2)], pendingSince: new Date(now).toISOString() }, { jobId: 'lagging-test-events', delay: PARKED, timestamp: now - 20_000 });
    jobIds.push({ queue: PLAYBOOK_EVENTS, id: 'lagging-test-events' });
    // 120 events through risk in the last minute: 2 per second
    await meterFinishedJobs(deps.redis, deps.config.queuePrefix, 'risk', [{ tenantId: 'lagging', events: 120, waitMs: null, runMs: null }]);
    // risk jobs that waited 4 s each in the last minute, one of them another tenant's of 60 s
    const waited = (tenantId: string, waitMs: number) => ({ tenantId, events: 0, waitMs, runMs: 30 });
    await meterFinishedJobs(deps.redis, deps.config.queuePrefix, 'risk', [waited('lagging', 4_000), waited('lagging', 4_000), waited('someone-else', 60_000)]);
  });
  afterAll(async () => {
    if (stack) for (const { queue, id } of jobIds) await stack.subgraphs.signals.deps.queues.get(queue).remove(id);
    await stack?.stop();
  });

  const status = async (key = admin) => gql(stack.gateway.url, QUERY, {}, bearer(key));

  it('shows each stage’s backlog, the age of its oldest work, its rate and whether it is caught up', async () => {
    const res = await status();
    expect(res.errors).toBeUndefined();
    const { pipelineStatus: s } = res.data!;
    expect(s.caughtUp).toBe(false);
    const stage = (name: string) => s.stages.find((x: { stage: string }) => x.stage === name);
    expect(s.stages.map((x: { stage: string }) => x.stage)).toEqual(['RESOLVE', 'DETECT', 'RISK', 'ALERTS', 'TRAITS', 'SEGMENTS']);
    expect(stage('RESOLVE')).toMatchObject({ unprocessedEvents: 1, caughtUp: false });
    expect(stage('RESOLVE').oldestWaitingAgeMs).toBeGreaterThanOrEqual(90_000);
    expect(stage('RISK')).toMatchObject({ delayed: 1, eventsPerSecond: 2, caughtUp: false });
    expect(stage('RISK').oldestWaitingAgeMs).toBeGreaterThanOrEqual(30_000);
    expect(stage('RISK').oldestWaitingAgeMs).toBeLessThan(90_000);
    expect(stage('RISK').handedOnEvents).toBe(1);
    // the hand-off to actions whose job was lost still counts: its marker is 100 s old, older than any job
    expect(stage('ALERTS')).toMatchObject({ delayed: 2, handedOnEvents: 1, caughtUp: false });
    expect(stage('ALERTS').oldestWaitingAgeMs).toBeGreaterThanOrEqual(100_000);
    expect(stage('DETECT')).toMatchObject({ unprocessedEvents: null, handedOnEvents: null, oldestWaitingAgeMs: null, caughtUp: true });
  });

  it('shows how long each stage’s jobs waited before a worker took them, for the stage and for the caller’s tenant', async () => {
    const { pipelineStatus: s } = (await status()).data!;
    const risk = s.stages.find((x: { stage: string }) => x.stage === 'RISK');
    // percentiles are exact to within their histogram bucket: 4 s lies in (3.4 s, 5 s], 60 s in (57 s, 85 s]
    expect(risk.waitP50Ms).toBeGreaterThan(3_400);
    expect(risk.waitP50Ms).toBeLessThanOrEqual(5_000);
    expect(risk.waitP99Ms).toBeGreaterThan(57_000);
    expect(risk.runP50Ms).toBeGreaterThan(27);
    expect(risk.runP50Ms).toBeLessThanOrEqual(40);
    const own = s.tenants[0].stages.find((x: { stage: string }) => x.stage === 'RISK');
    // another tenant's long wait is not this tenant's
    expect(own.waitP99Ms).toBeLessThanOrEqual(5_000);
    expect(s.tenants[0].stages.find((x: { stage: string }) => x.stage === 'ALERTS')).toMatchObject({ waitP50Ms: null, waitP99Ms: null });
    expect(s.tenants[0]).toMatchObject({ inFlightEvents: 0, inFlightHistoryEvents: 0, maxInFlightEvents: 10_000 });
  });

  it('lists the caller’s tenant only, with its own pending events per stage', async () => {
    const { tenants } = (await status()).data!.pipelineStatus;
    expect(tenants).toHaveLength(1);
    const [own] = tenants;
    expect(own).toMatchObject({ tenantId: 'lagging', caughtUp: false });
    const byStage = Object.fromEntries(own.stages.map((x: { stage: string; pendingEvents: number }) => [x.stage, x]));
    expect(byStage.RESOLVE).toMatchObject({ pendingEvents: 1, caughtUp: false, partial: false });
    expect(byStage.RISK).toMatchObject({ pendingEvents: 3, eventsPerSecond: 2, caughtUp: false });
    // the events waiting to be matched against playbook runs count in the actions stage; the other
    // tenant's alert job is not this tenant's backlog
    expect(byStage.ALERTS).toMatchObject({ pendingEvents: 2, caughtUp: false, partial: false });
    expect(byStage.ALERTS.oldestWaitingAgeMs).toBeGreaterThanOrEqual(100_000);
  });

  it('needs admin', async () => {
    const writer = await stack.key('lagging', ['events:write']);
    const res = await status(writer);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('is caught up once the event is processed and the jobs are gone', async () => {
    const { deps } = stack.subgraphs.signals;
    await forkAcrossTenants(deps.orm).nativeUpdate(Event, { id: eventId }, { processedAt: new Date() });
    // risk and actions acknowledged the hand-offs
    await forkAcrossTenants(deps.orm).nativeUpdate(Event, { id: { $in: handedOnIds } }, { handOffPendingSince: null, playbookEventsPendingSince: null });
    for (const { queue, id } of jobIds) await deps.queues.get(queue).remove(id);
    const { pipelineStatus: s } = (await status()).data!;
    expect(s.caughtUp).toBe(true);
    expect(s.tenants[0]).toMatchObject({ tenantId: 'lagging', caughtUp: true });
    expect(s.tenants[0].stages.every((x: { pendingEvents: number }) => x.pendingEvents === 0)).toBe(true);
  });
});

describe('pipelineStatus: events per second from the stage workers themselves', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('counts every event that went through resolve, detect and risk in the last minute, and the profiles of the traits and segments stages', async () => {
    const admin = await stack.key('flowing', ['admin']);
    const writer = await stack.key('flowing', ['events:write']);
    // a tenant with a segment: only then are its profiles evaluated (and metered) by the segments stage
    await createSegmentService(stack.subgraphs.profiles.deps, 'flowing').create({ name: 'Power users', condition: { path: 'traits.plan', op: 'eq', value: 'pro' } });
    const batch = Array.from({ length: 6 }, (_, i) => ({ type: 'track', event: 'Feature Used', userId: `meter-${i % 2}`, messageId: `meter-${i}` }));
    const res = await fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writer}:`).toString('base64')}` },
      body: JSON.stringify({ batch }),
    });
    expect(res.status).toBe(200);
    const rates = async () => {
      const own = (await gql(stack.gateway.url, QUERY, {}, bearer(admin))).data!.pipelineStatus.tenants[0];
      return Object.fromEntries(own.stages.map((x: { stage: string; eventsPerSecond: number }) => [x.stage, x.eventsPerSecond * 60]));
    };
    // the 6 events reach risk as one batch: wait for the risk stage's count, then read all three
    await waitFor(async () => Math.round((await rates()).RISK) === 6, 30_000, 100);
    const counted = await rates();
    expect([counted.RESOLVE, counted.DETECT, counted.RISK].map(Math.round)).toEqual([6, 6, 6]);
    // the side stages count profiles: both customers' first scores are bucket crossings, pushed to
    // their computed traits in one job (TRAITS 2); segments are evaluated once after the resolve
    // job and once after that push (SEGMENTS 2 + 2)
    await waitFor(async () => {
      const { TRAITS, SEGMENTS } = await rates();
      return Math.round(TRAITS) === 2 && Math.round(SEGMENTS) === 4;
    }, 20_000, 100);
  });
});
