import { UnrecoverableError, type Job, type Worker } from 'bullmq';

import { startCoalescingWorker, type CoalescedPass } from '../../common/job-coalescing';
import { ALERT_RAISED, type SegmentMembershipChangedEvent } from '../../common/pubsub';
import { PLAYBOOK_STEP, SEGMENT_ALERTS_DONE, SEGMENT_MEMBERSHIP_CHANGED } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { describeSegmentFiring, segmentsShownBy, type SegmentChangeFacts } from '../domain/evaluate-segment-rules';
import { readSegmentChange } from '../domain/read-segment-change';
import type { Alert } from '../entities/alert.entity';
import { SegmentStayRepository } from '../entities/segment-stay.repository';
import { alertRaisedEvent } from '../services/alert-event';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { RaiseTriggerAlertsService } from '../services/raise-trigger-alerts.service';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

type SegmentDeps = Pick<SubgraphDeps, 'orm' | 'log' | 'pubSub' | 'queues'>;
type Change = { tenantId: string } & Omit<SegmentChangeFacts, 'segmentIds'>;

/** Entries and exits one pass takes at most (one job each). */
export const SEGMENT_PASS_MAX_JOBS = 200;

/**
 * Records entries and exits of one tenant in the actions stage's copy of membership
 * (`SegmentStayRepository`), then evaluates the tenant's SEGMENT alert rules against them (see
 * `RaiseTriggerAlertsService`, `describeSegmentFiring`), in the order they happened; queues the
 * playbook steps and webhook tries of what it inserted, acknowledges the changes to profiles
 * (`segment-alerts-done`, job id `<pass id>-done`, which clears their hand-off markers) and
 * publishes `alertRaised` once per inserted alert. Safe to run twice: alerts are keyed on
 * (rule, membership, change).
 */
export async function raiseSegmentAlerts(tenantId: string, changes: readonly Change[], passId: string, deps: SegmentDeps, now = new Date()): Promise<Alert[]> {
  const facts: SegmentChangeFacts[] = [...changes]
    .sort((a, b) => a.at.getTime() - b.at.getTime() || (a.membershipId < b.membershipId ? -1 : a.membershipId > b.membershipId ? 1 : 0))
    .map(({ tenantId: _tenant, ...c }) => ({ ...c, segmentIds: segmentsShownBy(c) }));
  const em = forkForTenant(deps.orm, tenantId);
  // the copy of membership first: the rules' segment conditions (of every trigger type) read it
  await new SegmentStayRepository(em, tenantId).record(changes);
  const service = new RaiseTriggerAlertsService(em, tenantId);
  const { alerts: raised, deliveries, steps } = await service.raise('segment', facts, describeSegmentFiring, now);
  // after the commit; a crash before this leaves due runs that the reconciler queues
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
  // committed: profiles may clear the hand-off markers of these changes
  const done = changes.map((c) => ({ membershipId: c.membershipId, change: c.change }));
  if (done.length) await deps.queues.get(SEGMENT_ALERTS_DONE).add(SEGMENT_ALERTS_DONE, { tenantId, changes: done }, { jobId: `${passId}-done` });
  // after the commit, and only for rows this pass inserted: a replay publishes nothing
  for (const alert of raised) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(alert));
  // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
  await queueDeliveryTries(deps.queues, deliveries);
  if (raised.length) deps.log.info({ tenantId, passId, alerts: raised.length, changes: changes.length }, 'segment alerts raised');
  return raised;
}

/** One `segment-membership-changed` job alone; a malformed payload fails without retries. */
export async function segmentMembershipChanged(job: Pick<Job<SegmentMembershipChangedEvent>, 'data' | 'id'>, deps: SegmentDeps, now = new Date()): Promise<Alert[]> {
  const change = readSegmentChange(job.data);
  if (typeof change === 'string') throw new UnrecoverableError(`segment-membership-changed: malformed job ${job.id}: ${change}`);
  return raiseSegmentAlerts(change.tenantId, [change], String(job.id), deps, now);
}

/** A pass over the waiting jobs: one evaluation per tenant (see `runCoalescedPass`). */
export function segmentMembershipChangedPass(deps: SegmentDeps): CoalescedPass<SegmentMembershipChangedEvent, Change> {
  return {
    parse: (job) => {
      const change = readSegmentChange(job.data);
      return typeof change === 'string' ? { malformed: `segment-membership-changed: malformed job ${job.id}: ${change}` } : change;
    },
    groupKey: (change) => change.tenantId,
    runGroup: async (changes, id) => void (await raiseSegmentAlerts(changes[0].tenantId, changes, id, deps)),
    runAlone: async (job) => void (await segmentMembershipChanged(job, deps)),
  };
}

/**
 * The SEGMENT alert rules' worker. Concurrency 1, as for `raise-alerts`: two passes holding one
 * profile would both read its rule state before either wrote it, and could both break a cool-down.
 */
export function startSegmentMembershipChangedWorker(deps: SubgraphDeps): Worker<SegmentMembershipChangedEvent> {
  return startCoalescingWorker(deps, {
    queue: SEGMENT_MEMBERSHIP_CHANGED,
    concurrency: 1,
    limits: { maxJobs: SEGMENT_PASS_MAX_JOBS, maxItems: SEGMENT_PASS_MAX_JOBS, itemsOf: () => 1 },
    pass: segmentMembershipChangedPass(deps),
  });
}
