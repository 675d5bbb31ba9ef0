import type { EntityManager } from '../../common/orm';
import type { Queues, ReplaySendJob } from '../../common/queues';
import { deferUntil } from '../domain/contact-policy';
import { ContactPolicyRepository } from '../entities/contact-policy.repository';
import { PlaybookRunRepository } from '../entities/playbook-run.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import { queueMessageOutcome, type SendOutcome } from './message-outcome-handoff';
import type { PlaybookCollaborators } from './playbook-collaborators';
import { stepContextOf, StepSender } from './step-send';

/** What taking a replay did. */
export type ReplayTaken =
  /** The provider was called (or a guardrail skipped it): the row holds the outcome. */
  | { kind: 'done'; outcome: SendOutcome }
  /** The row is not in flight for this replay (finished, or replayed again since): nothing to do. */
  | { kind: 'stale' }
  /** Inside quiet hours, or a job run before its due time: put it back until `dueAt`. */
  | { kind: 'early'; dueAt: Date };

/**
 * Takes one replay of a dead-lettered send (one `replay-send` job), safe to run twice: the row must
 * still be in flight for this replay (claimed, `replays` = the job's), each provider call is counted
 * with a compare-and-set on the row's tries, and the outcome's UPDATE ends the replay. The message
 * is rendered again, as the first send was, from the run's playbook version (a one-off action's own
 * definition) and the profile's current traits; consent and suppression traits and the frequency
 * cap are checked again, and quiet hours defer it. The run is never touched.
 */
export class RunReplayService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly collaborators: PlaybookCollaborators,
    /** Where the outcome's message event goes (`record-message-outcome`); absent: only the reconciler queues it. */
    private readonly queues?: Pick<Queues, 'get'>,
  ) {}

  async take(job: ReplaySendJob): Promise<ReplayTaken> {
    const now = this.collaborators.now();
    const deliveries = new StepDeliveryRepository(this.em, this.tenantId);
    const row = await deliveries.byId(job.deliveryId);
    if (!row || row.status !== 'claimed' || row.replays !== job.replay || !row.replayRequestedAt) return { kind: 'stale' };
    // deferred past quiet hours (the marker holds the due time): a job run early goes back
    if (row.replayRequestedAt > now) return { kind: 'early', dueAt: row.replayRequestedAt };
    const run = await new PlaybookRunRepository(this.em, this.tenantId).find(row.runId);
    const context = run && (await stepContextOf(this.em, this.tenantId, this.collaborators, run, row.stepId));
    const step = context?.step;
    if (!run || !context || (step?.type !== 'send' && step?.type !== 'webhook')) {
      // nothing to render the message from (runs and versions are kept, so this is a data repair):
      // the replay ends dead-lettered again rather than retrying for a week
      const reason = `step ${row.stepId} of run ${row.runId} is not there to replay`;
      await deliveries.record(row.id, 'failed', { error: reason }, now);
      return { kind: 'done', outcome: { status: 'failed', deliveryId: row.id, providerId: null, reason, at: now } };
    }
    const { traits, facts, playbook } = context;
    const policy = step.type === 'send' ? await new ContactPolicyRepository(this.em, this.tenantId).policyOf(step.channel) : null;
    const until = deferUntil(now, policy, traits);
    if (until) {
      if (!(await deliveries.deferReplay(row.id, row.replays, until, now))) return { kind: 'stale' };
      return { kind: 'early', dueAt: until };
    }
    const outcome = await new StepSender(this.em, this.tenantId, this.collaborators).send(row, step, facts, now, policy);
    // a webhook step's outcome is no message event (as on the first send)
    if (step.type === 'send' && this.queues) {
      await queueMessageOutcome(this.queues, this.tenantId, { profileId: run.profileId, runId: run.id, stepId: row.stepId, channel: step.channel, replay: row.replays }, playbook, outcome);
    }
    return { kind: 'done', outcome };
  }
}
