import { nextLocalTime, parseLocalTime } from './local-time';
import { assertNever, stepOf, type FactCondition, type PlaybookDefinition, type PlaybookStep, type PropertyEquals } from './playbook';
import { lookup } from './playbook-template';
import { CONTROL_ARM } from './uplift/assignment';

/**
 * The playbook engine as a pure state machine: `startRun` and `advanceRun` take a definition, the
 * run's state (as stored in SQL), an input and `now`, and return the next state and the one step
 * to schedule. The action queue stores the state and queues the step; nothing here does I/O.
 *
 * Every step a run enters gets the next `visit` number, so (run, step, visit) names one execution
 * of a step: it is the job id and the outbox key, and an input naming an older visit is stale.
 */

/** `held_out`: enrolled in a control arm (the playbook's holdout or the global control): recorded, never run. */
export type RunStatus = 'active' | 'waiting' | 'completed' | 'cancelled' | 'failed' | 'held_out';
export const RUN_STATUSES: readonly RunStatus[] = ['active', 'waiting', 'completed', 'cancelled', 'failed', 'held_out'];
/** Statuses of a run that still has a step to take. */
export const LIVE_STATUSES: readonly RunStatus[] = ['active', 'waiting'];

/** How one visit of a step ended, as `branch` conditions see it under `steps.<id>`. */
export type StepOutcome = 'sent' | 'skipped' | 'failed' | 'created' | 'updated' | 'waited' | 'event' | 'timeout' | 'branched' | 'assigned' | 'exited';

export interface StepRecord {
  stepId: string;
  visit: number;
  outcome: StepOutcome;
  /** ISO time. */
  at: string;
}

/** A run's state, as stored in `playbook_run`. */
export interface RunState {
  status: RunStatus;
  /** The step being taken (or, once ended, the last one); null before the first. */
  stepId: string | null;
  visit: number;
  /** When the current step is due; null once the run ended. */
  nextDueAt: Date | null;
  /** When the current step was entered (events before it do not count). */
  enteredAt: Date | null;
  /** Set while at a `waitForEvent` step. */
  waitingFor: { event: string; where: PropertyEquals[] } | null;
  /** What happened so far, oldest first (the last `MAX_HISTORY`). */
  history: StepRecord[];
  /** Why the run ended (`completed`, `risk_low`, `cancelled`, `step send_sms dead-lettered`, …). */
  endReason: string | null;
}

/** What the run knows about its customer: the roots of templates and branch conditions. */
export interface RunFacts {
  profile: { id: string; traits: Record<string, unknown> };
  risk: Record<string, unknown>;
  alert: Record<string, unknown>;
}

/** Something that moves a run on. */
export type RunInput =
  /** The job of (stepId, visit) ran; `outcome` is the effect's result for `send` (sent/skipped/failed). */
  | { type: 'stepRan'; stepId: string; visit: number; outcome?: 'sent' | 'skipped' | 'failed' | 'created'; arm?: string }
  /** An event of the profile happened. */
  | { type: 'event'; name: string; properties: Record<string, unknown>; occurredAt: Date }
  /** End the run now (an exit condition, or cancelRun). */
  | { type: 'end'; status: 'completed' | 'cancelled'; reason: string };

/** The job to queue: run (stepId, visit) at `dueAt`. */
export interface ScheduledStep {
  stepId: string;
  visit: number;
  dueAt: Date;
}

export interface Advance {
  state: RunState;
  schedule: ScheduledStep | null;
  /** False: the input did not apply (a stale visit, an ended run, a non-matching event); `state` is the input state. */
  accepted: boolean;
}

/** A run visiting more steps than this is stuck in a loop of its definition: it fails. */
export const MAX_VISITS = 500;
export const MAX_HISTORY = 100;

/** The state of a new run: at the entry step, visit 1. */
export function startRun(def: PlaybookDefinition, facts: RunFacts, now: Date): Advance {
  const blank: RunState = { status: 'active', stepId: null, visit: 0, nextDueAt: null, enteredAt: null, waitingFor: null, history: [], endReason: null };
  return enter(def, blank, def.entry, facts, now);
}

/** Applies one input to a run (see the module note). Pure; `now` is the only clock. */
export function advanceRun(def: PlaybookDefinition, state: RunState, input: RunInput, facts: RunFacts, now: Date): Advance {
  const ignored: Advance = { state, schedule: null, accepted: false };
  if (!LIVE_STATUSES.includes(state.status)) return ignored;
  if (input.type === 'end') {
    return { state: { ...state, status: input.status, nextDueAt: null, waitingFor: null, endReason: input.reason }, schedule: null, accepted: true };
  }
  const step = state.stepId ? stepOf(def, state.stepId) : null;
  if (!step) return failRun(state, `step ${state.stepId} is not in the playbook version`);
  if (input.type === 'event') {
    if (step.type !== 'waitForEvent' || !state.enteredAt || input.occurredAt < state.enteredAt) return ignored;
    if (!eventMatches(step.event, step.where, input.name, input.properties)) return ignored;
    return enter(def, record(state, 'event', now), step.onEvent, facts, now);
  }
  if (input.stepId !== state.stepId || input.visit !== state.visit) return ignored;
  // a wait's job never runs before its time (a promoted or early job is put back by the worker)
  if (state.nextDueAt && now < state.nextDueAt) return ignored;
  return afterStep(def, state, step, input.outcome, facts, now, input.arm);
}

function afterStep(def: PlaybookDefinition, state: RunState, step: PlaybookStep, outcome: 'sent' | 'skipped' | 'failed' | 'created' | undefined, facts: RunFacts, now: Date, arm?: string): Advance {
  switch (step.type) {
    case 'send':
    case 'webhook':
      if (outcome === 'failed') {
        const failed = record(state, 'failed', now);
        return step.onFailure ? enter(def, failed, step.onFailure, facts, now) : failRun(failed, `step ${step.id} dead-lettered`);
      }
      if (outcome !== 'sent' && outcome !== 'skipped') throw new RangeError(`advanceRun: send step ${step.id} needs an outcome sent, skipped or failed (got ${outcome})`);
      return enter(def, record(state, outcome, now), step.next, facts, now);
    case 'createTask':
      return enter(def, record(state, 'created', now), step.next, facts, now);
    case 'updateTraits':
      return enter(def, record(state, 'updated', now), step.next, facts, now);
    case 'wait':
      return enter(def, record(state, 'waited', now), step.next, facts, now);
    case 'waitForEvent':
      return enter(def, record(state, 'timeout', now), step.onTimeout, facts, now);
    case 'branch': {
      const all = factsWithSteps(facts, state.history);
      const arm = step.arms.find((a) => a.when.every((c) => conditionHolds(c, all)));
      return enter(def, record(state, 'branched', now), arm ? arm.next : step.otherwise, facts, now);
    }
    case 'experiment': {
      // the arm comes from the assignment (a salted hash, logged); the engine only routes it
      if (arm === CONTROL_ARM) return enter(def, record(state, 'assigned', now), step.control.next, facts, now);
      const variant = step.variants.find((v) => v.name === arm);
      if (!variant) throw new RangeError(`advanceRun: experiment step ${step.id} needs the arm control or a variant (got ${arm})`);
      return enter(def, record(state, 'assigned', now), variant.next, facts, now);
    }
    case 'exit':
      return { state: { ...state, status: 'completed', nextDueAt: null, endReason: 'completed' }, schedule: null, accepted: true };
    default:
      return assertNever(step);
  }
}

/** Moves the run into `stepId` (null: the run completes) at the next visit. */
function enter(def: PlaybookDefinition, state: RunState, stepId: string | null, facts: RunFacts, now: Date): Advance {
  if (stepId === null) return { state: { ...state, status: 'completed', nextDueAt: null, waitingFor: null, endReason: 'completed' }, schedule: null, accepted: true };
  const step = stepOf(def, stepId);
  if (!step) return failRun(state, `step ${stepId} is not in the playbook version`);
  const visit = state.visit + 1;
  if (visit > MAX_VISITS) return failRun(state, `more than ${MAX_VISITS} steps taken (a loop in the playbook?)`);
  const base: RunState = { ...state, stepId, visit, enteredAt: now, waitingFor: null };
  if (step.type === 'exit') {
    return { state: { ...base, status: 'completed', nextDueAt: null, endReason: 'completed', history: trim([...state.history, { stepId, visit, outcome: 'exited', at: now.toISOString() }]) }, schedule: null, accepted: true };
  }
  let dueAt = now;
  let status: RunStatus = 'active';
  if (step.type === 'wait') {
    status = 'waiting';
    dueAt = step.seconds != null ? new Date(now.getTime() + step.seconds * 1000) : nextLocalTime(now, parseLocalTime(step.untilLocalTime!)!, timeZoneOf(facts, step.fallbackTimezone ?? 'UTC'));
  } else if (step.type === 'waitForEvent') {
    status = 'waiting';
    dueAt = new Date(now.getTime() + step.timeoutSeconds * 1000);
    base.waitingFor = { event: step.event, where: step.where };
  }
  return { state: { ...base, status, nextDueAt: dueAt }, schedule: { stepId, visit, dueAt }, accepted: true };
}

function failRun(state: RunState, reason: string): Advance {
  return { state: { ...state, status: 'failed', nextDueAt: null, waitingFor: null, endReason: reason }, schedule: null, accepted: true };
}

function record(state: RunState, outcome: StepOutcome, now: Date): RunState {
  return { ...state, history: trim([...state.history, { stepId: state.stepId!, visit: state.visit, outcome, at: now.toISOString() }]) };
}

function trim(history: StepRecord[]): StepRecord[] {
  return history.length > MAX_HISTORY ? history.slice(history.length - MAX_HISTORY) : history;
}

/** The profile's `timezone` trait when it is a string, else the fallback. */
export function timeZoneOf(facts: RunFacts, fallback: string): string {
  const tz = facts.profile.traits.timezone;
  return typeof tz === 'string' && tz ? tz : fallback;
}

/** Facts plus `steps.<id>` = the latest outcome of each step so far. */
export function factsWithSteps(facts: RunFacts, history: readonly StepRecord[]): RunFacts & { steps: Record<string, StepOutcome> } {
  const steps: Record<string, StepOutcome> = {};
  for (const h of history) steps[h.stepId] = h.outcome;
  return { ...facts, steps };
}

/** Whether one branch condition holds for the facts. */
export function conditionHolds(c: FactCondition, facts: unknown): boolean {
  const v = lookup(facts, c.field);
  switch (c.op) {
    case 'exists':
      return v !== undefined && v !== null;
    case 'missing':
      return v === undefined || v === null;
    case 'eq':
      return v === c.value;
    case 'neq':
      return v !== c.value;
    case 'in':
      return Array.isArray(c.value) && c.value.some((x) => x === v);
    case 'gt':
      return typeof v === 'number' && v > (c.value as number);
    case 'gte':
      return typeof v === 'number' && v >= (c.value as number);
    case 'lt':
      return typeof v === 'number' && v < (c.value as number);
    case 'lte':
      return typeof v === 'number' && v <= (c.value as number);
    default:
      return assertNever(c.op);
  }
}

/** Whether an event is the one a `waitForEvent` step waits for (name, then every property equal). */
export function eventMatches(event: string, where: readonly PropertyEquals[], name: string, properties: Record<string, unknown>): boolean {
  return name === event && where.every((w) => lookup(properties, w.property) === w.equals);
}
