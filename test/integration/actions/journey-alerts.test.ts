import { UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import type { AlertRuleDraft } from '../../../subgraphs/actions/domain/validate-alert-rule';
import { raiseJourneyAlerts } from '../../../subgraphs/actions/workers/raise-journey-alerts.worker';
import { JOURNEY_ALERTS_DONE, type JourneyAlertsBatch, type JourneyStateForAlerts } from '../../../subgraphs/common/queues';
import { useActionsHarness } from '../../fixtures/actions-harness';

const JOURNEY = uuidv7();
const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
/** A state of instance `instanceId` of profile `profileId`. */
const state = (profileId: string, instanceId: string, s: JourneyStateForAlerts['state'], stepIndex: number, over: Partial<JourneyStateForAlerts> = {}): JourneyStateForAlerts => ({
  instanceId,
  profileId,
  journeyId: JOURNEY,
  journeyName: 'Account opening',
  state: s,
  stepIndex,
  step: ['started', 'id_upload', 'opened'][stepIndex],
  started: s === 'active' && stepIndex === 0,
  observedAt: at(stepIndex * 10),
  ...over,
});
const batch = (tenantId: string, states: JourneyStateForAlerts[]): JourneyAlertsBatch => ({
  tenantId,
  states,
  pending: [...new Set(states.map((s) => s.instanceId))].map((instanceId) => ({ instanceId, since: new Date(T0).toISOString() })),
});
const journeyRule = (journeyState: string, over: Partial<AlertRuleDraft> = {}): AlertRuleDraft => ({
  name: `Journey ${journeyState}`,
  severity: 'high',
  team: 'onboarding',
  trigger: { type: 'journey', journeyId: JOURNEY, journeyState },
  ...over,
});

/** JOURNEY alert rules against real SQL (SQLite, or PostgreSQL under FORESIGHT_TEST_DB=postgres) and real Redis. */
describe('raiseJourneyAlerts', () => {
  const h = useActionsHarness();
  const { alertsOf, rules } = h;
  const run = (data: JourneyAlertsBatch, id = `job-${uuidv7()}`) => raiseJourneyAlerts({ id, data }, h.actions.deps);

  it('raises exactly one alert when a journey starts, however often its states are delivered, and none for later steps', async () => {
    const tenantId = 'jr-once';
    const rule = await rules(tenantId).create(journeyRule('active'));
    const [p, i] = [uuidv7(), uuidv7()];
    const first = batch(tenantId, [state(p, i, 'active', 0)]);
    expect((await run(first)).raised).toHaveLength(1);
    expect((await run(first)).raised).toEqual([]);
    // the instance's next pass re-sends its whole history
    expect((await run(batch(tenantId, [state(p, i, 'active', 0), state(p, i, 'active', 1)]))).raised).toEqual([]);
    const alerts = await alertsOf(tenantId);
    expect(alerts).toEqual([expect.objectContaining({ profileId: p, ruleId: rule.ruleId, type: 'journey_active', triggerId: i, sourceKey: `${rule.ruleId}-journey-${i}-active`, score: 0 })]);
    expect(alerts[0].reasons).toEqual([{ factor: 'journey:active', contribution: 1, description: 'Account opening started at step "started"', evidence: [JOURNEY, i] }]);
  });

  it('raises one alert per step an instance stalls at; other states and journeys raise nothing', async () => {
    const tenantId = 'jr-stall';
    await rules(tenantId).create(journeyRule('stalled'));
    const [p, i] = [uuidv7(), uuidv7()];
    await run(batch(tenantId, [state(p, i, 'active', 0), state(p, i, 'completed', 2), state(p, uuidv7(), 'stalled', 1, { journeyId: uuidv7() })]));
    expect(await alertsOf(tenantId)).toEqual([]);
    await run(batch(tenantId, [state(p, i, 'stalled', 0)]));
    await run(batch(tenantId, [state(p, i, 'stalled', 0), state(p, i, 'stalled', 1, { observedAt: at(300) })]));
    expect((await alertsOf(tenantId)).map((a) => a.sourceKey.split('-journey-')[1])).toEqual([`${i}-stalled-0`, `${i}-stalled-1`]);
  });

  it('fires a rule on any journey when its journeyId is null', async () => {
    const tenantId = 'jr-any';
    await rules(tenantId).create(journeyRule('abandoned', { trigger: { type: 'journey', journeyId: null, journeyState: 'abandoned' } }));
    const p = uuidv7();
    await run(batch(tenantId, [state(p, uuidv7(), 'abandoned', 1, { journeyId: uuidv7() })]));
    expect((await alertsOf(tenantId)).map((a) => a.type)).toEqual(['journey_abandoned']);
  });

  it('honours the cool-down per (rule, profile), by when the states began', async () => {
    const tenantId = 'jr-cooldown';
    await rules(tenantId).create(journeyRule('active', { cooldownSeconds: 3600 }));
    const p = uuidv7();
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    await run(batch(tenantId, [state(p, a, 'active', 0, { observedAt: at(0) })]));
    await run(batch(tenantId, [state(p, b, 'active', 0, { observedAt: at(30) })])); // inside the hour
    await run(batch(tenantId, [state(p, c, 'active', 0, { observedAt: at(61) })]));
    expect((await alertsOf(tenantId)).map((x) => x.triggerId)).toEqual([a, c]);
  });

  it('never fires another tenant’s rule', async () => {
    await rules('jr-b').create(journeyRule('active'));
    expect((await run(batch('jr-a', [state(uuidv7(), uuidv7(), 'active', 0)]))).raised).toEqual([]);
    expect(await alertsOf('jr-a')).toEqual([]);
    expect(await alertsOf('jr-b')).toEqual([]);
  });

  it('acknowledges the markers it evaluated, and fails a malformed payload for good', async () => {
    const data = batch('jr-ack', [state(uuidv7(), uuidv7(), 'active', 0)]);
    await run(data, 'ack-job');
    expect((await h.actions.deps.queues.get(JOURNEY_ALERTS_DONE).getJob('ack-job-done'))?.data).toEqual({ tenantId: 'jr-ack', pending: data.pending });
    await expect(run({ tenantId: 'jr-bad', states: [], pending: [{ instanceId: 'x', since: 'never' }] })).rejects.toBeInstanceOf(UnrecoverableError);
  });
});
