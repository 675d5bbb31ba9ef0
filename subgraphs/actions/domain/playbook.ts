/**
 * Playbooks: what the platform does for a customer, step by step, once enrolled (by an alert rule
 * or a mutation). A playbook is versioned like an alert rule (its id is stable across versions); a
 * run keeps the version it was enrolled under. Steps name their successors by id, so a definition
 * is a small graph; `validatePlaybook` (validate-playbook.ts) rejects dangling references.
 */

/** A fact looked up by dot path in `RunFacts`: `profile.traits.plan`, `risk.bucket`, `steps.email`. */
export interface FactCondition {
  /** Dot path into the facts, starting with `profile.`, `risk.`, `alert.` or `steps.`. */
  field: string;
  op: ConditionOp;
  /** Compared with `eq`, `neq`, `gt`, `gte`, `lt`, `lte`; a list for `in`; ignored by `exists`/`missing`. */
  value?: string | number | boolean | (string | number | boolean)[] | null;
}
export const CONDITION_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'missing'] as const;
export type ConditionOp = (typeof CONDITION_OPS)[number];

/** An event property that must equal a value for `waitForEvent` to match. */
export interface PropertyEquals {
  property: string;
  equals: string | number | boolean;
}

interface StepBase {
  /** Unique in the playbook: `[a-z0-9_]`, 1–64 characters (it goes into job ids). */
  id: string;
}

/** Send a message on one of the tenant's channels, rendered from templates. */
export interface SendStep extends StepBase {
  type: 'send';
  /** The tenant's channel name (see `ChannelResolver`). */
  channel: string;
  /** Recipient template; default `{{profile.traits.email}}` (email), `{{profile.traits.phone}}` (sms). */
  to?: string | null;
  subject?: string | null;
  body?: string | null;
  /** HTML template: every variable in it is HTML-escaped. */
  html?: string | null;
  /** Next step after a send (or a skip); null: the run completes. */
  next: string | null;
  /** Where to go once the send is dead-lettered; null: the run fails. */
  onFailure?: string | null;
}

/** Wait a duration, or until the next local time of day in the customer's time zone. */
export interface WaitStep extends StepBase {
  type: 'wait';
  /** Seconds to wait (exactly one of `seconds` and `untilLocalTime`). */
  seconds?: number | null;
  /** `HH:MM`, 24-hour, in the profile's `timezone` trait (IANA), else `fallbackTimezone`. */
  untilLocalTime?: string | null;
  fallbackTimezone?: string | null;
  next: string | null;
}

/** Wait for an event of the profile (with property conditions) or a timeout, whichever comes first. */
export interface WaitForEventStep extends StepBase {
  type: 'waitForEvent';
  event: string;
  where: PropertyEquals[];
  timeoutSeconds: number;
  onEvent: string | null;
  onTimeout: string | null;
}

/** One arm of a branch: every condition must hold (AND). */
export interface BranchArm {
  when: FactCondition[];
  next: string | null;
}

/** Go to the first arm whose conditions hold, else `otherwise`. */
export interface BranchStep extends StepBase {
  type: 'branch';
  arms: BranchArm[];
  otherwise: string | null;
}

export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TaskPriorityName = (typeof TASK_PRIORITIES)[number];

/** Create a human task for a team. */
export interface CreateTaskStep extends StepBase {
  type: 'createTask';
  team: string;
  /** Template, rendered as text. */
  title: string;
  priority: TaskPriorityName;
  /** Seconds from creation to the task's due time. */
  dueInSeconds: number;
  /** Team an overdue task moves to (it also goes one priority up); absent: it stays with `team`. */
  escalateToTeam?: string | null;
  next: string | null;
}

/**
 * Call a partner system through one of the tenant's webhook channels (signed per Standard
 * Webhooks, SSRF-guarded): a JSON POST of `{ runId, stepId, visit, profileId, data }`, where each
 * value of `data` is a template rendered as text. Idempotent per (run, step, visit) through the
 * same outbox as `send`; consent and quiet hours do not apply (the customer is not contacted).
 */
export interface WebhookStep extends StepBase {
  type: 'webhook';
  /** The tenant's webhook channel name. */
  channel: string;
  data: Record<string, string>;
  next: string | null;
  /** Where to go once the call is dead-lettered; null: the run fails. */
  onFailure?: string | null;
}

/**
 * Set traits on the profile: handed to the profiles stage (a `set-computed-traits` job with a
 * deterministic id), stored under `computedTraits.playbook`. Values are scalars; a string is a
 * template rendered as text.
 */
export interface UpdateTraitsStep extends StepBase {
  type: 'updateTraits';
  traits: Record<string, string | number | boolean | null>;
  next: string | null;
}

/** One treated arm of an experiment step: a name and the step its customers continue at. */
export interface ExperimentVariant {
  /** `[a-z0-9_]`, 1–32 characters, not `control`; unique in the step. */
  name: string;
  /** Relative traffic weight (normalised over control + variants). Default 1. */
  weight: number;
  /** The step the variant's customers continue at (null: their run completes). */
  next: string | null;
}

/** An experiment's conversion goal: an event (with property conditions) within a window after assignment. */
export interface ExperimentGoal {
  event: string;
  where: PropertyEquals[];
  /** Seconds after assignment a goal event still counts. */
  windowSeconds: number;
}

/** Optional automatic winner: an anytime-valid mSPRT per variant against control (see uplift/msprt.ts). */
export interface AutoWinnerSettings {
  /** Customers every arm needs before a look counts. Default 100. */
  minSamplePerArm: number;
  /** False-positive bound over all looks and all variants (Bonferroni: α/k per variant). Default 0.05. */
  alpha: number;
  /** τ of the normal mixing distribution, in conversion-rate units. Default 0.02. */
  mixingSd: number;
}

/**
 * A/B/n experiment (issue #13): the customer is assigned, by a salted hash of (experiment,
 * profile), to control or one of 2–4 variants in proportion to the weights, and continues at that
 * arm's step. Control continues at `control.next` like any other arm, so what control gets is
 * whatever that step leads to (typically the run's end or the steps after the experiment, without
 * the variant's message). Conversions are the goal event within the window after assignment.
 */
export interface ExperimentStep extends StepBase {
  type: 'experiment';
  /** Names the experiment within the playbook, stable across versions: `[a-z0-9_]`, 1–64. */
  key: string;
  name: string;
  control: { weight: number; next: string | null };
  variants: ExperimentVariant[];
  goal: ExperimentGoal;
  autoWinner: AutoWinnerSettings | null;
}

/** End the run (completed). */
export interface ExitStep extends StepBase {
  type: 'exit';
}

export type PlaybookStep = SendStep | WaitStep | WaitForEventStep | BranchStep | CreateTaskStep | WebhookStep | UpdateTraitsStep | ExperimentStep | ExitStep;
export type PlaybookStepType = PlaybookStep['type'];
export const STEP_TYPES: readonly PlaybookStepType[] = ['send', 'wait', 'waitForEvent', 'branch', 'createTask', 'webhook', 'updateTraits', 'experiment', 'exit'];

/** When a run ends before its last step. */
export interface ExitConditions {
  /** End the run when the profile's risk falls back to Low (also during a wait). */
  riskLow: boolean;
}

/** One version of a playbook, as the engine needs it. */
export interface PlaybookDefinition {
  /** The step a run starts at. */
  entry: string;
  steps: PlaybookStep[];
  exitWhen: ExitConditions;
}

/** Successor step ids of a step (null entries: the run ends there). */
export function successorsOf(step: PlaybookStep): (string | null)[] {
  switch (step.type) {
    case 'send':
    case 'webhook':
      return [step.next, step.onFailure ?? null];
    case 'wait':
    case 'createTask':
    case 'updateTraits':
      return [step.next];
    case 'waitForEvent':
      return [step.onEvent, step.onTimeout];
    case 'branch':
      return [...step.arms.map((a) => a.next), step.otherwise];
    case 'experiment':
      return [step.control.next, ...step.variants.map((v) => v.next)];
    case 'exit':
      return [];
    default:
      return assertNever(step);
  }
}

/** The step with this id, or null. */
export function stepOf(def: PlaybookDefinition, stepId: string): PlaybookStep | null {
  return def.steps.find((s) => s.id === stepId) ?? null;
}

export function assertNever(x: never): never {
  throw new RangeError(`unexpected value ${JSON.stringify(x)}`);
}
