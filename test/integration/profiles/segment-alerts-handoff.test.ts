import { UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { SEGMENT_ALERTS_DONE, SEGMENT_MEMBERSHIP_CHANGED, segmentChangeJobId } from '../../../subgraphs/common/queues';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { IdentityType } from '../../../subgraphs/profiles/entities/identity.entity';
import { SegmentMembership } from '../../../subgraphs/profiles/entities/segment-membership.entity';
import { ProfileService } from '../../../subgraphs/profiles/services/profile.service';
import { createSegmentService } from '../../../subgraphs/profiles/services/segment.service';
import { evaluateSegments } from '../../../subgraphs/profiles/workers/evaluate-segments.worker';
import { segmentAlertsDone } from '../../../subgraphs/profiles/workers/segment-alerts-done.worker';
import { sweepProfiles } from '../../../subgraphs/profiles/workers/sweep-profiles.worker';
import { openActions } from '../../fixtures/actions-harness';
import { useHandoffHarness } from '../../fixtures/handoff-harness';
import { waitFor } from '../../fixtures/wait-for';

const GRACE_MS = 60_000;
const PRO = { path: 'traits.plan', op: 'eq', value: 'pro' };

/**
 * The profiles → actions hand-off of segment entries and exits (SEGMENT alert rules), with real
 * Redis and real SQL: each change keeps its marker until actions acknowledges, and a job lost from
 * Redis is re-sent from SQL by the profiles sweeper.
 */
describe('the segment-alerts hand-off', () => {
  const h = useHandoffHarness({ subgraph: profilesSubgraph, handOff: SEGMENT_MEMBERSHIP_CHANGED, acks: SEGMENT_ALERTS_DONE, graceMs: GRACE_MS });
  const { em } = h;
  /** A profile on `plan`, evaluated against the tenant's segments. */
  const withPlan = async (tenantId: string, userId: string, plan: string) => {
    const profile = await new ProfileService(em(), tenantId).upsert({ identities: [{ type: IdentityType.USER_ID, value: userId }], traits: { plan } });
    await evaluateSegments({ id: `${tenantId}-${profile.id}-${plan}`, data: { tenantId, profileId: profile.id } }, h.subgraph.deps);
    return profile;
  };
  const stayOf = async (tenantId: string, profileId: string) => (await em().find(SegmentMembership, { tenantId, profileId }, { orderBy: { id: 'asc' } }))[0];
  const jobsOf = async (tenantId: string) => (await h.handOff.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'])).filter((j) => j.data.tenantId === tenantId);

  it('marks an entry and an exit pending until actions acknowledges them', async () => {
    const tenantId = 'marks';
    await createSegmentService(h.subgraph.deps, tenantId).create({ name: 'Pro', condition: PRO });
    const profile = await withPlan(tenantId, 'u1', 'pro');
    expect(await stayOf(tenantId, profile.id)).toMatchObject({ entryAlertsPendingSince: expect.any(Date), exitAlertsPendingSince: null });
    await withPlan(tenantId, 'u1', 'free');
    const stay = await stayOf(tenantId, profile.id);
    expect(stay).toMatchObject({ entryAlertsPendingSince: expect.any(Date), exitAlertsPendingSince: expect.any(Date) });
    await segmentAlertsDone({ id: 'ack-1', data: { tenantId, changes: [{ membershipId: stay.id, change: 'entered' }] } }, h.subgraph.deps);
    expect(await stayOf(tenantId, profile.id)).toMatchObject({ entryAlertsPendingSince: null, exitAlertsPendingSince: expect.any(Date) });
    await segmentAlertsDone({ id: 'ack-2', data: { tenantId, changes: [{ membershipId: stay.id, change: 'exited' }] } }, h.subgraph.deps);
    expect(await stayOf(tenantId, profile.id)).toMatchObject({ entryAlertsPendingSince: null, exitAlertsPendingSince: null });
  });

  it('re-sends an entry whose job Redis lost once the grace period is over, and stops once actions acknowledged it', async () => {
    const tenantId = 'lost';
    const segment = await createSegmentService(h.subgraph.deps, tenantId).create({ name: 'Pro', condition: PRO });
    const profile = await withPlan(tenantId, 'u1', 'pro');
    const stay = await stayOf(tenantId, profile.id);
    // Redis loses the job (a flush): only SQL remembers the hand-off
    await h.handOff.obliterate({ force: true });
    const since = stay.entryAlertsPendingSince!.getTime();
    await sweepProfiles(h.subgraph.deps, new Date(since + GRACE_MS / 2));
    expect(await jobsOf(tenantId)).toEqual([]);
    await sweepProfiles(h.subgraph.deps, new Date(since + GRACE_MS + 1));
    const resent = await jobsOf(tenantId);
    expect(resent).toHaveLength(1);
    expect(resent[0].id).toMatch(new RegExp(`^${segmentChangeJobId({ tenantId, membershipId: stay.id, change: 'entered' })}-swept\\d+$`));
    expect(resent[0].data).toEqual({ tenantId, segmentId: segment.id, segmentName: 'Pro', profileId: profile.id, membershipId: stay.id, change: 'entered', at: stay.enteredAt.toISOString() });
    await segmentAlertsDone({ id: 'ack-lost', data: { tenantId, changes: [{ membershipId: stay.id, change: 'entered' }] } }, h.subgraph.deps);
    await h.handOff.obliterate({ force: true });
    await sweepProfiles(h.subgraph.deps, new Date(since + 10 * GRACE_MS));
    expect(await jobsOf(tenantId)).toEqual([]);
  });

  it('fails a malformed acknowledgement for good', async () => {
    await expect(segmentAlertsDone({ id: 'bad', data: { tenantId: 'x', changes: [{ membershipId: uuidv7(), change: 'joined' as 'entered' }] } }, h.subgraph.deps)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
  });

  it('raises the SEGMENT alert through the actions worker, whose acknowledgement clears the marker', async () => {
    const tenantId = 'through';
    const segment = await createSegmentService(h.subgraph.deps, tenantId).create({ name: 'Pro', condition: PRO });
    const actions = await openActions(h.env);
    try {
      const rule = await actions.rules(tenantId).create({
        name: 'Upgraded',
        severity: 'medium',
        team: 'sales',
        trigger: { type: 'segment', segmentId: segment.id, segmentChange: 'entered' },
      });
      const profile = await withPlan(tenantId, 'u1', 'pro');
      const stay = await stayOf(tenantId, profile.id);
      const alertsOf = () => actions.alertsOf(tenantId);
      await waitFor(async () => (await alertsOf()).length === 1);
      expect((await alertsOf())[0]).toMatchObject({ profileId: profile.id, ruleId: rule.ruleId, type: 'segment_entered', triggerId: stay.id, team: 'sales' });
      // the acknowledgement actions queued, run as profiles' worker would
      const ackId = `${segmentChangeJobId({ tenantId, membershipId: stay.id, change: 'entered' })}-done`;
      await waitFor(async () => (await h.acks.getJob(ackId)) !== undefined);
      await segmentAlertsDone((await h.acks.getJob(ackId))!, h.subgraph.deps);
      expect((await stayOf(tenantId, profile.id)).entryAlertsPendingSince).toBeNull();
    } finally {
      await actions.close();
    }
  });
});
