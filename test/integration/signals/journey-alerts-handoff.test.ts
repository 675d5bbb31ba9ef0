import { UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { JOURNEY_ALERTS, JOURNEY_ALERTS_DONE } from '../../../subgraphs/common/queues';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { JourneyInstance } from '../../../subgraphs/signals/entities/journey-instance.entity';
import { JourneyService } from '../../../subgraphs/signals/services/journey.service';
import { detectFriction } from '../../../subgraphs/signals/workers/detect-friction.worker';
import { journeyAlertsDone } from '../../../subgraphs/signals/workers/journey-alerts-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { sweepFriction } from '../../../subgraphs/signals/workers/sweep-friction.worker';
import { openActions } from '../../fixtures/actions-harness';
import { useHandoffHarness } from '../../fixtures/handoff-harness';
import { waitFor } from '../../fixtures/wait-for';

const GRACE_MS = 60_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const ONBOARDING = {
  name: 'Account opening',
  steps: [
    { key: 'started', event: 'Account Opening Started', slaMs: 2 * HOUR },
    { key: 'id_upload', event: 'ID Uploaded', slaMs: 2 * HOUR },
    { key: 'opened', event: 'Account Opened' },
  ],
  slaMs: 48 * HOUR,
  sessionTimeoutMs: 30 * MIN,
};

/**
 * The signals → actions hand-off of journey states (JOURNEY alert rules), with real Redis and real
 * SQL: one `journey-alerts` job per pass, the instance's marker cleared only by an acknowledgement
 * of that very marker, and a job lost from Redis re-sent from SQL by the sweeper.
 */
describe('the journey-alerts hand-off', () => {
  const h = useHandoffHarness({ subgraph: signalsSubgraph, handOff: JOURNEY_ALERTS, acks: JOURNEY_ALERTS_DONE, graceMs: GRACE_MS });
  const { em } = h;
  const define = (tenantId: string) => new JourneyService(em(), tenantId).createDefinition(ONBOARDING as never);
  /** A resolved event of `profileId`, `minutesAgo` before now, run through one detect pass. */
  const step = async (tenantId: string, profileId: string, name: string, minutesAgo: number) => {
    const at = new Date(Date.now() - minutesAgo * MIN);
    const event = em().create(Event, { tenantId, messageId: uuidv7(), type: 'track', name, properties: {}, timestamp: at, receivedAt: at, profileId, processedAt: at });
    await em().persistAndFlush(event);
    await detectFriction({ id: `${tenantId}-${event.id}`, data: { tenantId, eventId: event.id, profileId } }, h.subgraph.deps);
  };
  const jobsOf = async (tenantId: string) =>
    (await h.handOff.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'])).filter((j) => j.data.tenantId === tenantId).sort((a, b) => a.timestamp - b.timestamp);
  const instanceOf = async (tenantId: string, profileId: string) => (await em().find(JourneyInstance, { tenantId, profileId }, { refresh: true }))[0];

  it('hands each pass’s changed instances to actions with their states, and clears only the marker acknowledged', async () => {
    const tenantId = 'j-handoff';
    const def = await define(tenantId);
    const p = uuidv7();
    await step(tenantId, p, 'Account Opening Started', 10);
    const first = await instanceOf(tenantId, p);
    expect(first.alertsPendingSince).toBeInstanceOf(Date);
    const [job] = await jobsOf(tenantId);
    expect(job.data.pending).toEqual([{ instanceId: first.id, since: first.alertsPendingSince!.toISOString() }]);
    expect(job.data.states).toEqual([expect.objectContaining({ instanceId: first.id, profileId: p, journeyId: def.id, state: 'active', stepIndex: 0, started: true })]);
    // the instance moves on before the first job's acknowledgement arrives: the old marker no longer clears it
    await step(tenantId, p, 'ID Uploaded', 5);
    await journeyAlertsDone({ id: 'ack-old', data: { tenantId, pending: job.data.pending } }, h.subgraph.deps);
    const moved = await instanceOf(tenantId, p);
    expect(moved.alertsPendingSince).toBeInstanceOf(Date);
    const jobs = await jobsOf(tenantId);
    expect(jobs).toHaveLength(2);
    expect(jobs[1].data.states.map((s) => `${s.state}-${s.stepIndex}-${s.started}`)).toEqual(['active-0-true', 'active-1-false']);
    await journeyAlertsDone({ id: 'ack-new', data: { tenantId, pending: jobs[1].data.pending } }, h.subgraph.deps);
    expect((await instanceOf(tenantId, p)).alertsPendingSince).toBeNull();
  });

  it('re-sends an instance whose job Redis lost once the grace period is over, and stops once acknowledged', async () => {
    const tenantId = 'j-lost';
    await define(tenantId);
    const p = uuidv7();
    await step(tenantId, p, 'Account Opening Started', 10);
    const instance = await instanceOf(tenantId, p);
    await h.handOff.obliterate({ force: true });
    const since = instance.alertsPendingSince!.getTime();
    await sweepEvents(h.subgraph.deps, new Date(since + GRACE_MS / 2));
    expect(await jobsOf(tenantId)).toEqual([]);
    await sweepEvents(h.subgraph.deps, new Date(since + GRACE_MS + 1));
    const resent = await jobsOf(tenantId);
    expect(resent).toHaveLength(1);
    expect(resent[0].id).toMatch(new RegExp(`^${tenantId}-journeys-[0-9a-f]{32}-swept\\d+$`));
    expect(resent[0].data.pending).toEqual([{ instanceId: instance.id, since: instance.alertsPendingSince!.toISOString() }]);
    await journeyAlertsDone({ id: 'ack-lost', data: { tenantId, pending: resent[0].data.pending } }, h.subgraph.deps);
    await h.handOff.obliterate({ force: true });
    await sweepEvents(h.subgraph.deps, new Date(since + 10 * GRACE_MS));
    expect(await jobsOf(tenantId)).toEqual([]);
  });

  it('hands on a stall the time-based sweep marks', async () => {
    const tenantId = 'j-stall';
    await define(tenantId);
    const p = uuidv7();
    await step(tenantId, p, 'Account Opening Started', 10);
    await h.handOff.obliterate({ force: true });
    // past the first step's SLA of two hours
    await sweepFriction(null, h.subgraph.deps, new Date(Date.now() + 3 * HOUR));
    const jobs = await jobsOf(tenantId);
    expect(jobs.flatMap((j) => j.data.states.map((s) => s.state))).toContain('stalled');
  });

  it('fails a malformed acknowledgement for good', async () => {
    await expect(journeyAlertsDone({ id: 'bad', data: { tenantId: 'x', pending: [{ instanceId: 'nope', since: 'never' }] } }, h.subgraph.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('raises the JOURNEY alert through the actions worker, whose acknowledgement clears the marker', async () => {
    const tenantId = 'j-through';
    const def = await define(tenantId);
    const actions = await openActions(h.env);
    try {
      const rule = await actions.rules(tenantId).create({
        name: 'Onboarding started',
        severity: 'low',
        team: 'onboarding',
        trigger: { type: 'journey', journeyId: def.id, journeyState: 'active' },
      });
      const p = uuidv7();
      await step(tenantId, p, 'Account Opening Started', 10);
      await step(tenantId, p, 'ID Uploaded', 5);
      const instance = await instanceOf(tenantId, p);
      const alertsOf = () => actions.alertsOf(tenantId);
      // both passes are evaluated (acknowledged); the start raised one alert, the next step none
      await waitFor(async () => (await h.acks.getJobs(['waiting', 'completed'])).filter((j) => j.data.tenantId === tenantId).length === 2);
      expect(await alertsOf()).toEqual([expect.objectContaining({ profileId: p, ruleId: rule.ruleId, type: 'journey_active', triggerId: instance.id })]);
      for (const ack of (await h.acks.getJobs(['waiting'])).filter((j) => j.data.tenantId === tenantId)) await journeyAlertsDone(ack, h.subgraph.deps);
      expect((await instanceOf(tenantId, p)).alertsPendingSince).toBeNull();
    } finally {
      await actions.close();
    }
  });
});
