import { createHash } from 'node:crypto';

import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import type { FsPubSub } from '../../common/pubsub';
import { ESCALATE_TASK, SET_COMPUTED_TRAITS, type PlaybookStepJob, type Queues } from '../../common/queues';
import { deferUntil, type ContactPolicy } from '../domain/contact-policy';
import type { CreateTaskStep, ExperimentStep, SendStep, UpdateTraitsStep, WebhookStep } from '../domain/playbook';
import { advanceRun, type RunFacts } from '../domain/playbook-run';
import { renderTemplate } from '../domain/playbook-template';
import { CONTROL_ARM, type Sha256 } from '../domain/uplift/assignment';
import { assignExperimentArm } from '../domain/uplift/experiment-assignment';
import { ContactPolicyRepository } from '../entities/contact-policy.repository';
import { ExperimentAssignment } from '../entities/experiment-assignment.entity';
import { ExperimentAssignmentRepository } from '../entities/experiment-assignment.repository';
import { ExperimentRepository } from '../entities/experiment.repository';
import { MeasurementSettingsRepository } from '../entities/measurement-settings.repository';
import type { PlaybookRun } from '../entities/playbook-run.entity';
import { PlaybookRunRepository } from '../entities/playbook-run.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';
import { Task } from '../entities/task.entity';
import { TaskRepository } from '../entities/task.repository';
import { queueMessageOutcome, type SendOutcome } from './message-outcome-handoff';
import type { PlaybookCollaborators } from './playbook-collaborators';
import { publishTaskAssigned } from './publish-task';
import { queueTaskEscalations } from './queue-task-escalations';
import type { StepToQueue } from './queue-playbook-steps';
import { stepContextOf, StepSender } from './step-send';

/** What taking a step did. */
export type StepTaken =
  /** The run moved on; `next` is the step to queue (null: the run ended or waits for an event only). */
  | { kind: 'advanced'; next: StepToQueue | null }
  /** The job is not the run's current (step, visit), or the run ended: nothing to do. */
  | { kind: 'stale' }
  /** The step is not due yet (a job run early): put it back until `dueAt`. */
  | { kind: 'early'; dueAt: Date };

/**
 * Takes one step of one run (one `playbook-step` job), safe to run twice:
 * a send claims its outbox row (run, step, visit) before calling the channel and a retry finds the
 * outcome already recorded; a task is keyed on the same triple; and the run's next state is stored
 * with a compare-and-set on its visit, so a step replayed, or raced by an event or a cancel, moves
 * the run at most once.
 */
export class RunStepService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly collaborators: PlaybookCollaborators,
    /** Where hand-offs to other stages go (`updateTraits`); optional for callers without such steps. */
    private readonly queues?: Pick<Queues, 'get'>,
    /** Where `taskAssigned` is published for a task a step created; absent: nothing is. */
    private readonly pubSub?: Pick<FsPubSub, 'publish'>,
  ) {}

  async take(job: PlaybookStepJob): Promise<StepTaken> {
    const now = this.collaborators.now();
    const runs = new PlaybookRunRepository(this.em, this.tenantId);
    const run = await runs.find(job.runId);
    if (!run || run.stepId !== job.stepId || run.visit !== job.visit || (run.status !== 'active' && run.status !== 'waiting')) return { kind: 'stale' };
    if (run.nextDueAt && run.nextDueAt > now) return { kind: 'early', dueAt: run.nextDueAt };
    const { def, step, traits, facts, playbook } = await stepContextOf(this.em, this.tenantId, this.collaborators, run, job.stepId);

    let outcome: 'sent' | 'skipped' | 'failed' | 'created' | undefined;
    if (step?.type === 'webhook') outcome = (await this.send(job, run.profileId, step, facts, now, null)).status;
    // handed on before the run's commit: a crash in between re-queues the same job id (a no-op)
    if (step?.type === 'updateTraits') await this.handOffTraits(job, run.profileId, step, facts);
    if (step?.type === 'send') {
      const policy = await new ContactPolicyRepository(this.em, this.tenantId).policyOf(step.channel);
      // quiet hours are checked before the outbox claim: a deferred send holds no ledger row
      const until = deferUntil(now, policy, traits);
      if (until) {
        if (!(await runs.deferStep(run.id, run.visit, until, now))) return { kind: 'stale' };
        return { kind: 'early', dueAt: until };
      }
      const sent = await this.send(job, run.profileId, step, facts, now, policy);
      outcome = sent.status;
      // handed on before the run's commit: a replayed step finds the row finished and queues the same
      // job id; without queues (callers that take no hand-offs) only the reconciler queues it
      if (this.queues && !sent.replayed) await queueMessageOutcome(this.queues, this.tenantId, { profileId: run.profileId, runId: job.runId, stepId: job.stepId, channel: step.channel, replay: 0 }, playbook, sent);
    }
    const assigned = step?.type === 'experiment' ? await this.assignExperiment(run, step, now) : null;
    const advance = advanceRun(def, { status: run.status, stepId: run.stepId, visit: run.visit, nextDueAt: run.nextDueAt, enteredAt: run.enteredAt, waitingFor: run.waitingFor, history: run.history ?? [], endReason: run.endReason }, { type: 'stepRan', stepId: job.stepId, visit: job.visit, outcome, arm: assigned?.arm }, facts, now);
    if (!advance.accepted) return { kind: 'stale' };

    const saved = await this.em.transactional(async (tx) => {
      if (step?.type === 'createTask') await new TaskRepository(tx, this.tenantId).insertIgnoring(this.taskOf(job, run.profileId, step, facts, now));
      // logged with the move past the step: a lost compare-and-set rolls the assignment back too
      if (assigned?.row) await new ExperimentAssignmentRepository(tx, this.tenantId).insertIgnoring([assigned.row]);
      const ok = await new PlaybookRunRepository(tx, this.tenantId).saveState(run.id, run.visit, advance.state, now);
      // a lost compare-and-set rolls the task back with it: the run had moved on without this step
      if (!ok) throw new StaleRun();
      return ok;
    }).catch((err: unknown) => {
      if (err instanceof StaleRun) return false;
      throw err;
    });
    if (!saved) return { kind: 'stale' };
    // after the commit: a crash before this leaves an overdue task the reconciler escalates
    if (step?.type === 'createTask' && this.queues) await this.queueEscalation(job);
    const s = advance.schedule;
    return { kind: 'advanced', next: s ? { tenantId: this.tenantId, runId: run.id, stepId: s.stepId, visit: s.visit, dueAt: s.dueAt } : null };
  }

  /**
   * The arm of the run's customer at an experiment step: the logged arm when the customer was
   * assigned before (sticky across re-entry, and across a winner decided since), else the salted
   * hash of (experiment, profile) over the step's weights, or over control and the winner once one
   * is decided. A new assignment comes with its log row, for the caller's transaction. No race
   * between two runs: a profile has at most one live run of a playbook. Reads: the experiment,
   * the logged arm, the tenant's salt.
   */
  private async assignExperiment(run: PlaybookRun, step: ExperimentStep, now: Date): Promise<{ arm: string; row: ExperimentAssignment | null }> {
    const experiments = new ExperimentRepository(this.em, this.tenantId);
    let experiment = await experiments.byKey(run.playbookId, step.key);
    if (!experiment) {
      // a version stored without its experiment row (e.g. before experiments existed): record it now
      await experiments.sync(run.playbookId, run.playbookVersion, [step], now);
      experiment = (await experiments.byKey(run.playbookId, step.key))!;
    }
    const arms = [CONTROL_ARM, ...step.variants.map((v) => v.name)];
    const logged = await new ExperimentAssignmentRepository(this.em, this.tenantId).armOf(experiment.id, run.profileId);
    const winner = experiment.winnerArm && arms.includes(experiment.winnerArm) ? experiment.winnerArm : null;
    const { salt } = await new MeasurementSettingsRepository(this.em, this.tenantId).get();
    const hashed = assignExperimentArm(sha256, salt, experiment.id, run.profileId, [{ arm: CONTROL_ARM, weight: step.control.weight }, ...step.variants.map((v) => ({ arm: v.name, weight: v.weight }))], winner);
    // a logged arm this version no longer has (a variant removed) cannot be routed: the hash decides, the log keeps its first row
    if (logged !== null) return { arm: arms.includes(logged) ? logged : hashed, row: null };
    const row = this.em.create(
      ExperimentAssignment,
      {
        tenantId: this.tenantId,
        experimentId: experiment.id,
        playbookId: run.playbookId,
        playbookVersion: run.playbookVersion,
        profileId: run.profileId,
        arm: hashed,
        afterWinner: winner !== null,
        runId: run.id,
        assignedAt: now,
        windowEndsAt: new Date(now.getTime() + step.goal.windowSeconds * 1000),
        goalEvent: step.goal.event,
        goalWhere: step.goal.where,
        createdAt: now,
        updatedAt: now,
      },
      { persist: false },
    );
    return { arm: hashed, row };
  }

  /**
   * At most one delivery per (run, step, visit): the outbox row is claimed first; a row already
   * finished answers for itself (a replay of it, `replaySend`, is not the step's business: the run
   * moved on). A claimed row is sent by `StepSender` (retries, then the dead letter).
   */
  private async send(job: PlaybookStepJob, profileId: string, step: SendStep | WebhookStep, facts: RunFacts, now: Date, policy: ContactPolicy | null): Promise<SendOutcome & { replayed?: true }> {
    const row = await new StepDeliveryRepository(this.em, this.tenantId).claim({ runId: job.runId, profileId, stepId: job.stepId, visit: job.visit, channel: step.channel }, now);
    // replayed since (a retry of a job that crashed before the run's commit): the step's own outcome
    // was the dead letter, and the replay hands on its own message event
    if (row.replays > 0) return { status: 'failed', deliveryId: row.id, providerId: null, reason: 'dead-lettered, since replayed', at: now, replayed: true };
    if (row.status !== 'claimed') return { status: row.status, deliveryId: row.id, providerId: row.providerId, reason: row.error, at: row.finishedAt ?? now };
    return new StepSender(this.em, this.tenantId, this.collaborators).send(row, step, facts, now, policy);
  }

  /** Queues the escalation of the task this step visit created, delayed until its due time. */
  private async queueEscalation(job: PlaybookStepJob): Promise<void> {
    const task = await new TaskRepository(this.em, this.tenantId).bySourceKey(taskSourceKey(job));
    if (task) publishTaskAssigned(this.pubSub, task, 'created');
    if (task?.dueAt) await queueTaskEscalations(this.queues!.get(ESCALATE_TASK), [{ tenantId: this.tenantId, taskId: task.id, dueAt: task.dueAt }], this.collaborators.now());
  }

  /** Queues the step's traits for the profiles stage, under a job id of (run, step, visit). */
  private async handOffTraits(job: PlaybookStepJob, profileId: string, step: UpdateTraitsStep, facts: RunFacts): Promise<void> {
    if (!this.queues) throw new Error('RunStepService: an updateTraits step needs the queues');
    const traits = Object.fromEntries(Object.entries(step.traits).map(([k, v]) => [k, typeof v === 'string' ? renderTemplate(v, facts, 'text') : v]));
    await this.queues.get(SET_COMPUTED_TRAITS).add(
      SET_COMPUTED_TRAITS,
      { tenantId: this.tenantId, items: [{ profileId, source: PLAYBOOK_TRAITS_SOURCE, traits }] },
      { jobId: `${this.tenantId}-playbook-${job.runId}-${job.stepId}-${job.visit}` },
    );
  }

  private taskOf(job: PlaybookStepJob, profileId: string, step: CreateTaskStep, facts: RunFacts, now: Date): Task {
    return this.em.create(
      Task,
      {
        id: uuidv7(),
        tenantId: this.tenantId,
        profileId,
        runId: job.runId,
        team: step.team,
        title: renderTemplate(step.title, facts, 'text').slice(0, 500),
        priority: step.priority,
        dueAt: new Date(now.getTime() + step.dueInSeconds * 1000),
        escalationTeam: step.escalateToTeam ?? null,
        sourceKey: taskSourceKey(job),
        createdAt: now,
        updatedAt: now,
      },
      { persist: false },
    );
  }
}

class StaleRun extends Error {}

const sha256: Sha256 = (m) => createHash('sha256').update(m).digest();

/** The idempotency key of the task a step visit creates. */
function taskSourceKey(job: PlaybookStepJob): string {
  return `run:${job.runId}:${job.stepId}:${job.visit}`;
}

/** The `computedTraits` namespace `updateTraits` steps write into. */
export const PLAYBOOK_TRAITS_SOURCE = 'playbook';
