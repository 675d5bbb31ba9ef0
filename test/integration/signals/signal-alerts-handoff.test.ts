import { UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { SIGNAL_ALERTS, SIGNAL_ALERTS_DONE, signalAlertsJobId } from '../../../subgraphs/common/queues';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { signalAlertsDone } from '../../../subgraphs/signals/workers/signal-alerts-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { openActions } from '../../fixtures/actions-harness';
import { useHandoffHarness } from '../../fixtures/handoff-harness';
import { waitFor } from '../../fixtures/wait-for';

const GRACE_MS = 60_000;

/**
 * The signals → actions hand-off of friction signals (FRICTION_SIGNAL alert rules), with real
 * Redis and real SQL: one `signal-alerts` job per pass, the marker cleared only by actions'
 * acknowledgement, and a job lost from Redis re-sent from SQL by the sweeper.
 */
describe('the signal-alerts hand-off', () => {
  const h = useHandoffHarness({ subgraph: signalsSubgraph, handOff: SIGNAL_ALERTS, acks: SIGNAL_ALERTS_DONE, graceMs: GRACE_MS });
  const { em } = h;
  /** A detractor NPS answer, stored and resolved to `profileId` by one event-resolved pass: one negative_feedback signal. */
  const detractor = async (tenantId: string, profileId: string, flush = true) => {
    const now = Date.now();
    const event = em().create(Event, { tenantId, messageId: uuidv7(), type: 'track', name: 'NPS Submitted', properties: { score: 1 }, userId: 'u', timestamp: new Date(now - 1000), receivedAt: new Date(now) });
    await em().persistAndFlush(event);
    const pass = { id: `pass-${event.id}`, data: { tenantId, events: [{ eventId: event.id, profileId }] } };
    await eventResolved(pass, h.subgraph.deps);
    // the pass's signals are held for the ack window: sent now
    if (flush) await h.subgraph.deps.queues.flushAcks();
    return { event, pass };
  };
  const jobsOf = async (tenantId: string) => (await h.handOff.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'])).filter((j) => j.data.tenantId === tenantId);
  const signalOf = async (tenantId: string) => (await em().find(Signal, { tenantId }))[0];

  it('hands a pass’s signals to actions in one job, keeps them pending until acknowledged, and a replayed pass queues nothing new', async () => {
    const tenantId = 'handoff';
    const profileId = uuidv7();
    const { event, pass } = await detractor(tenantId, profileId);
    const signal = await signalOf(tenantId);
    expect(signal).toMatchObject({ type: 'negative_feedback', alertsPendingSince: expect.any(Date) });
    await eventResolved(pass, h.subgraph.deps);
    await h.subgraph.deps.queues.flushAcks();
    const jobs = await jobsOf(tenantId);
    expect(jobs.map((j) => j.id)).toEqual([signalAlertsJobId(tenantId, [signal.id])]);
    expect(jobs[0].data.signals).toEqual([
      expect.objectContaining({ signalId: signal.id, profileId, type: 'negative_feedback', severity: signal.severity, eventIds: [event.id], summary: signal.evidence.summary }),
    ]);
    await signalAlertsDone({ id: 'ack', data: { tenantId, signalIds: [signal.id] } }, h.subgraph.deps);
    expect((await signalOf(tenantId)).alertsPendingSince).toBeNull();
  });

  it('gathers the signals of the passes of one window into one job', async () => {
    const tenantId = 'gathered';
    await detractor(tenantId, uuidv7(), false);
    await detractor(tenantId, uuidv7(), false);
    expect(await jobsOf(tenantId)).toEqual([]);
    await h.subgraph.deps.queues.flushAcks();
    const ids = (await em().find(Signal, { tenantId }, { orderBy: { id: 'asc' } })).map((s) => s.id);
    expect(ids).toHaveLength(2);
    const jobs = await jobsOf(tenantId);
    expect(jobs.map((j) => j.id)).toEqual([signalAlertsJobId(tenantId, ids)]);
    expect(jobs[0].data.signals.map((s) => s.signalId)).toEqual(ids);
  });

  it('re-sends a signal whose job Redis lost once the grace period is over, and stops once actions acknowledged it', async () => {
    const tenantId = 'lost';
    await detractor(tenantId, uuidv7());
    const signal = await signalOf(tenantId);
    // Redis loses the job (a flush): only SQL remembers the hand-off
    await h.handOff.obliterate({ force: true });
    const pendingSince = signal.alertsPendingSince!.getTime();
    await sweepEvents(h.subgraph.deps, new Date(pendingSince + GRACE_MS / 2));
    expect(await jobsOf(tenantId)).toEqual([]);
    await sweepEvents(h.subgraph.deps, new Date(pendingSince + GRACE_MS + 1));
    const resent = await jobsOf(tenantId);
    expect(resent).toHaveLength(1);
    expect(resent[0].id).toMatch(new RegExp(`^${signalAlertsJobId(tenantId, [signal.id])}-swept\\d+$`));
    expect(resent[0].data.signals.map((s) => s.signalId)).toEqual([signal.id]);
    await signalAlertsDone({ id: 'ack-lost', data: { tenantId, signalIds: [signal.id] } }, h.subgraph.deps);
    await h.handOff.obliterate({ force: true });
    await sweepEvents(h.subgraph.deps, new Date(pendingSince + 10 * GRACE_MS));
    expect(await jobsOf(tenantId)).toEqual([]);
  });

  it('fails a malformed acknowledgement for good', async () => {
    await expect(signalAlertsDone({ id: 'bad', data: { tenantId: 'x', signalIds: ['nope'] } }, h.subgraph.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('raises the FRICTION_SIGNAL alert through the actions worker, whose acknowledgement clears the marker', async () => {
    const tenantId = 'through';
    const actions = await openActions(h.env);
    try {
      const rule = await actions.rules(tenantId).create({
        name: 'Detractors',
        severity: 'high',
        team: 'cx',
        trigger: { type: 'friction_signal', signalType: 'negative_feedback', minSeverity: 0.5 },
      });
      const profileId = uuidv7();
      await detractor(tenantId, profileId);
      const signal = await signalOf(tenantId);
      const alertsOf = () => actions.alertsOf(tenantId);
      await waitFor(async () => (await alertsOf()).length === 1);
      expect((await alertsOf())[0]).toMatchObject({ profileId, ruleId: rule.ruleId, type: 'signal_negative_feedback', triggerId: signal.id });
      // the acknowledgement actions queued, run as signals' worker would
      const ackOf = async () => (await h.acks.getJobs()).find((j) => j.data.tenantId === tenantId && j.data.signalIds.includes(signal.id));
      await waitFor(async () => (await ackOf()) !== undefined);
      await signalAlertsDone((await ackOf())!, h.subgraph.deps);
      expect((await signalOf(tenantId)).alertsPendingSince).toBeNull();
    } finally {
      await actions.close();
    }
  });
});
