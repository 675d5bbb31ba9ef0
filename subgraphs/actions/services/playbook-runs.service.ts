import { createHash } from 'node:crypto';

import type { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import type { PlaybookStepJob } from '../../common/queues';
import { decodeAlertCursor } from '../domain/alert-cursor';
import { advanceRun, startRun, type RunFacts, type RunState } from '../domain/playbook-run';
import { measurementOf } from '../domain/playbook-measurement';
import { assignmentKey, planAssignments, type AssignedArm } from '../domain/plan-assignments';
import type { Sha256 } from '../domain/uplift/assignment';
import { MeasurementSettingsRepository } from '../entities/measurement-settings.repository';
import { PlaybookAssignment } from '../entities/playbook-assignment.entity';
import { PlaybookAssignmentRepository } from '../entities/playbook-assignment.repository';
import { PlaybookRun } from '../entities/playbook-run.entity';
import { PlaybookRunRepository, type RunListFilter } from '../entities/playbook-run.repository';
import { PlaybookRepository, versionKey } from '../entities/playbook.repository';
import { queuePlaybookSteps, type StepToQueue } from './queue-playbook-steps';

/** One profile to enrol in one playbook, with what the run should know from the start. */
export interface Enrolment {
  playbookId: string;
  profileId: string;
  /** `alert:<alertId>`, `api:<requestId>`, … */
  enrolledBy: string;
  traits?: Record<string, unknown>;
  risk?: Record<string, unknown>;
  alert?: Record<string, unknown>;
  /** The customer's CLV now, when the enrolment knows it (a risk change carries it), for revenue protected. */
  clv?: number | null;
}

const DAY_MS = 86_400_000;
const sha256: Sha256 = (m) => createHash('sha256').update(m).digest();
const HELD_OUT_REASON: Record<Exclude<AssignedArm, 'treatment'>, string> = { control: 'held out: playbook control group', global_control: 'held out: global control group' };

/** What an enrolment stored: the runs (only the new ones) and their first steps, to queue after the commit. */
export interface Enrolled {
  runs: PlaybookRun[];
  steps: StepToQueue[];
}

/** Enrolment, exits, cancellation and listing of playbook runs, for one tenant. */
export class PlaybookRunService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Enrols profiles set-based, inside the caller's transaction when `em` is one: one read of the
   * playbooks' current versions, one multi-row insert-or-ignore of the runs (a profile with a live
   * run of the playbook is skipped). Archived, paused or unknown playbooks enrol nobody. The caller
   * queues `steps` after its commit; a crash before that leaves due runs the reconciler queues.
   *
   * Each pair gets its arm (see `planAssignments`: the log, else the global control, else the
   * playbook's holdout): a held-out customer gets a `held_out` run that never has a step, and every
   * pair is written to the assignment log (one multi-row insert-or-ignore, same transaction) with
   * its CLV when the enrolment carries it. Reads: versions, settings, logged arms (one each).
   */
  async enrol(enrolments: readonly Enrolment[], now = this.now()): Promise<Enrolled> {
    if (enrolments.length === 0) return { runs: [], steps: [] };
    const versions = new Map((await new PlaybookRepository(this.em, this.tenantId).currentOf(enrolments.map((e) => e.playbookId))).filter((v) => !v.archived && !v.pausedAt).map((v) => [v.playbookId, v]));
    const valid = enrolments.filter((e) => versions.has(e.playbookId));
    if (valid.length === 0) return { runs: [], steps: [] };
    // the arm: the assignment log first (sticky), else the global control, else the playbook's holdout
    const settings = await new MeasurementSettingsRepository(this.em, this.tenantId).get();
    const assignments = new PlaybookAssignmentRepository(this.em, this.tenantId);
    const logged = new Map((await assignments.of(valid.map((e) => e.playbookId), valid.map((e) => e.profileId))).map((a) => [assignmentKey(a.playbookId, a.profileId), a.arm]));
    const pairs = valid.map((e) => ({ playbookId: e.playbookId, profileId: e.profileId, holdoutFraction: measurementOf(versions.get(e.playbookId)!.measurement).holdoutFraction }));
    const arms = planAssignments(sha256, this.tenantId, settings, pairs, logged, now);

    const rows: PlaybookRun[] = [];
    const first = new Map<string, StepToQueue>();
    const byRun = new Map<string, { enrolment: Enrolment; arm: AssignedArm }>();
    for (const e of valid) {
      const version = versions.get(e.playbookId)!;
      const arm = arms.get(assignmentKey(e.playbookId, e.profileId))!;
      const facts: RunFacts = { profile: { id: e.profileId, traits: e.traits ?? {} }, risk: e.risk ?? {}, alert: e.alert ?? {} };
      const id = uuidv7();
      const base = { id, tenantId: this.tenantId, playbookId: e.playbookId, playbookVersion: version.version, profileId: e.profileId, facts, enrolledBy: e.enrolledBy, createdAt: now, updatedAt: now };
      byRun.set(id, { enrolment: e, arm });
      if (arm !== 'treatment') {
        // enrolled but held out: a run that has ended before its first step, so nothing is ever queued for it
        rows.push(this.em.create(PlaybookRun, { ...base, status: 'held_out', liveKey: null, stepId: null, visit: 0, nextDueAt: null, enteredAt: null, waitingFor: null, history: [], endReason: HELD_OUT_REASON[arm], endedAt: now }, { persist: false }));
        continue;
      }
      const { state, schedule } = startRun(version.definition, facts, now);
      rows.push(this.em.create(PlaybookRun, { ...base, ...columnsOf(state, now) }, { persist: false }));
      if (schedule) first.set(id, { tenantId: this.tenantId, runId: id, stepId: schedule.stepId, visit: schedule.visit, dueAt: schedule.dueAt });
    }
    // the log rows first: the upsert of the runs reloads a skipped row into its entity, id included
    const log = rows.map((r) => {
      const { enrolment, arm } = byRun.get(r.id)!;
      const m = measurementOf(versions.get(r.playbookId)!.measurement);
      return this.em.create(
        PlaybookAssignment,
        {
          tenantId: this.tenantId,
          playbookId: r.playbookId,
          playbookVersion: r.playbookVersion,
          profileId: r.profileId,
          arm,
          assignedAt: now,
          clv: typeof enrolment.clv === 'number' && Number.isFinite(enrolment.clv) ? enrolment.clv : null,
          runId: r.id,
          outcomeKind: m.outcome.kind,
          outcomeEvent: m.outcome.event,
          revenueProperty: m.outcome.revenueProperty,
          windowEndsAt: new Date(now.getTime() + m.outcome.windowDays * DAY_MS),
          guardrails: m.guardrails,
          createdAt: now,
          updatedAt: now,
        },
        { persist: false },
      );
    });
    const runs = await new PlaybookRunRepository(this.em, this.tenantId).insertIgnoring(rows);
    const inserted = new Set(runs.map((r) => r.id));
    for (const a of log) if (!inserted.has(a.runId!)) a.runId = null;
    // in the same transaction; a pair already logged keeps its first row
    await assignments.insertIgnoring(log);
    return { runs, steps: runs.flatMap((r) => (first.has(r.id) ? [first.get(r.id)!] : [])) };
  }

  /** Enrols one profile through the API and queues its first step. CONFLICT when it already has a live run. */
  async enrolOne(queue: Pick<Queue<PlaybookStepJob>, 'addBulk'>, playbookId: string, profileId: string, enrolledBy: string, traits?: Record<string, unknown> | null): Promise<PlaybookRun> {
    // a customer held out (control or global control) gets a run with status held_out: recorded, never run
    const playbook = await new PlaybookRepository(this.em, this.tenantId).findCurrent(playbookId);
    if (!playbook) throw new AppError('NOT_FOUND', `playbook ${playbookId} not found`, { field: 'playbookId' });
    if (playbook.archived) throw new AppError('CONFLICT', `playbook ${playbookId} is archived`, { field: 'playbookId' });
    if (playbook.pausedAt) throw new AppError('CONFLICT', `playbook ${playbookId} is paused: ${playbook.pauseReason ?? 'no reason given'}`, { field: 'playbookId' });
    const now = this.now();
    const { runs, steps } = await this.em.transactional((tx) => new PlaybookRunService(tx, this.tenantId).enrol([{ playbookId, profileId, enrolledBy, traits: traits ?? {} }], now));
    if (runs.length === 0) throw new AppError('CONFLICT', `profile ${profileId} already has a live run of playbook ${playbookId}`, { field: 'profileId' });
    await queuePlaybookSteps(queue, steps, now);
    return runs[0];
  }

  /**
   * Ends the live runs of these profiles whose playbook version ends on risk back to Low, at once,
   * also during a wait (their queued step finds the run ended and does nothing). One read of the
   * runs, one of their versions, one compare-and-set per run ended. Returns the runs ended.
   */
  async endOnLowRisk(profileIds: readonly string[], now = this.now()): Promise<number> {
    const repo = new PlaybookRunRepository(this.em, this.tenantId);
    const live = await repo.liveOf(profileIds);
    if (live.length === 0) return 0;
    const versions = await new PlaybookRepository(this.em, this.tenantId).versionsOf(live.map((r) => ({ playbookId: r.playbookId, version: r.playbookVersion })));
    let ended = 0;
    for (const run of live) {
      const version = versions.get(versionKey(run.playbookId, run.playbookVersion));
      if (!version?.definition.exitWhen.riskLow) continue;
      const next = advanceRun(version.definition, stateOf(run), { type: 'end', status: 'completed', reason: 'risk_low' }, run.facts, now);
      if (next.accepted && (await repo.saveState(run.id, run.visit, next.state, now))) ended++;
    }
    return ended;
  }

  /**
   * Moves the runs waiting for these events on (set-based: one read of the waiting runs of the
   * batch's profiles, one read of their versions, one compare-and-set per run moved). A run takes
   * the earliest matching event that happened after it began waiting; a replayed batch finds the
   * runs moved already and changes nothing. Returns the next steps, to queue after the commit.
   */
  async applyEvents(events: readonly { profileId: string; name: string; properties: Record<string, unknown>; occurredAt: Date }[], now = this.now()): Promise<StepToQueue[]> {
    const repo = new PlaybookRunRepository(this.em, this.tenantId);
    const waiting = await repo.waitingForEvents(events.map((e) => e.profileId));
    if (waiting.length === 0) return [];
    const versions = await new PlaybookRepository(this.em, this.tenantId).versionsOf(waiting.map((r) => ({ playbookId: r.playbookId, version: r.playbookVersion })));
    const byProfile = new Map<string, typeof events>();
    for (const e of [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime())) byProfile.set(e.profileId, [...(byProfile.get(e.profileId) ?? []), e]);
    const steps: StepToQueue[] = [];
    for (const run of waiting) {
      const version = versions.get(versionKey(run.playbookId, run.playbookVersion));
      if (!version) continue;
      for (const e of byProfile.get(run.profileId) ?? []) {
        const next = advanceRun(version.definition, stateOf(run), { type: 'event', name: e.name, properties: e.properties, occurredAt: e.occurredAt }, run.facts, now);
        if (!next.accepted) continue;
        if ((await repo.saveState(run.id, run.visit, next.state, now)) && next.schedule) {
          steps.push({ tenantId: this.tenantId, runId: run.id, stepId: next.schedule.stepId, visit: next.schedule.visit, dueAt: next.schedule.dueAt });
        }
        break;
      }
    }
    return steps;
  }

  /** Cancels a live run now (its queued step then does nothing). Cancelling an ended run is a CONFLICT. */
  async cancel(runId: string, reason = 'cancelled'): Promise<PlaybookRun> {
    const repo = new PlaybookRunRepository(this.em, this.tenantId);
    const run = await repo.find(runId);
    if (!run) throw new AppError('NOT_FOUND', `run ${runId} not found`, { field: 'runId' });
    const now = this.now();
    const def = run.definition ?? (await new PlaybookRepository(this.em, this.tenantId).versionsOf([{ playbookId: run.playbookId, version: run.playbookVersion }])).values().next().value?.definition;
    const next = def ? advanceRun(def, stateOf(run), { type: 'end', status: 'cancelled', reason }, run.facts, now) : null;
    if (!next?.accepted || !(await repo.saveState(run.id, run.visit, next.state, now))) throw new AppError('CONFLICT', `run ${runId} has already ended (${run.status})`, { field: 'runId' });
    return (await repo.find(runId))!;
  }

  /** A page of runs, newest first; `after` is the `cursor` of the last run of the previous page. */
  list(filter: RunListFilter, first: number, after?: string | null): Promise<PlaybookRun[]> {
    const afterId = after ? decodeAlertCursor(after) : null;
    if (after && !afterId) throw new AppError('BAD_USER_INPUT', 'after: not a cursor of this list', { field: 'after' });
    return new PlaybookRunRepository(this.em, this.tenantId).page(filter, first, afterId);
  }
}

/** A stored run as the engine sees it. */
export function stateOf(run: PlaybookRun): RunState {
  return { status: run.status, stepId: run.stepId, visit: run.visit, nextDueAt: run.nextDueAt, enteredAt: run.enteredAt, waitingFor: run.waitingFor, history: run.history ?? [], endReason: run.endReason };
}

/** The columns of a run's state. */
function columnsOf(state: RunState, now: Date) {
  const live = state.status === 'active' || state.status === 'waiting';
  return { status: state.status, liveKey: live ? 'live' : null, stepId: state.stepId, visit: state.visit, nextDueAt: state.nextDueAt, enteredAt: state.enteredAt, waitingFor: state.waitingFor, history: state.history, endReason: state.endReason, endedAt: live ? null : now };
}
