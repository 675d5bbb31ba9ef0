/**
 * Journey definitions: the ordered steps a tenant expects a customer to go through (e.g. account
 * opening), how each step is recognised in the event stream, and the thresholds of the journey
 * friction detectors. Plain data, validated by `parseJourneyDefinition`.
 */

/** A JSON scalar a property condition compares with (strict equality, no type coercion). */
export type JourneyScalar = string | number | boolean | null;

/**
 * A condition on one event property, by dotted path inside `properties` (e.g. `document.type`).
 * Exactly one of `equals` / `in` is set.
 */
export interface JourneyCondition {
  property: string;
  equals?: JourneyScalar;
  in?: JourneyScalar[];
}

export interface JourneyStep {
  /** Stable identifier of the step inside its journey, e.g. `id_upload`. */
  key: string;
  /** Event name (`track` event, or page/screen name) that marks the step as reached. */
  event: string;
  /** Every condition must hold for the event to match. Empty: the name alone matches. */
  conditions: JourneyCondition[];
  /**
   * Longest expected time from reaching this step to reaching a later one, in ms; past it the
   * instance stalls. Null on the completion step. Default `JOURNEY_DEFAULTS.stepSlaMs`.
   */
  slaMs: number | null;
  /** Event names that mean an attempt at this step failed (e.g. `ID Upload Failed`). */
  failureEvents: string[];
}

/** N occurrences within T: the retry-loop threshold. */
export interface RetryLoopThreshold {
  /** Occurrences that make a loop (≥ 2). Default 3. */
  count: number;
  /** Window the occurrences must fall in, in ms. Default 600000 (10 minutes). */
  windowMs: number;
}

export interface JourneySpec {
  name: string;
  steps: JourneyStep[];
  /** Key of the step whose event completes the journey. Default the last step. */
  completionStep: string;
  /** Longest expected time from start to completion, in ms; past it the instance is abandoned. */
  slaMs: number;
  retryLoop: RetryLoopThreshold;
  /**
   * Inactivity after which the customer's session is over, in ms: an incomplete journey then
   * counts as a mid-journey exit. Default 1800000 (30 minutes, the usual web-analytics session).
   */
  sessionTimeoutMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Defaults applied by `parseJourneyDefinition` when the input leaves a threshold out. */
export const JOURNEY_DEFAULTS = Object.freeze({
  /** Step SLA when a step gives none: 1 day. */
  stepSlaMs: DAY,
  /** Whole-journey SLA: 7 days. */
  slaMs: 7 * DAY,
  retryLoop: Object.freeze({ count: 3, windowMs: 10 * MINUTE }),
  /** Session timeout: 30 minutes. */
  sessionTimeoutMs: 30 * MINUTE,
});

/** Bounds of a definition, so one journey cannot make matching or replay expensive. */
export const JOURNEY_LIMITS = Object.freeze({
  maxSteps: 50,
  maxConditions: 20,
  maxInValues: 100,
  maxFailureEvents: 20,
  maxEventName: 255,
  maxName: 200,
  maxSlaMs: 365 * DAY,
  minSessionTimeoutMs: MINUTE,
  maxSessionTimeoutMs: DAY,
  maxRetryCount: 100,
  minRetryWindowMs: 1000,
  maxRetryWindowMs: DAY,
});

/** A definition that cannot be stored; `problems` lists every reason, each naming its field. */
export class JourneyDefinitionError extends RangeError {
  constructor(readonly problems: string[]) {
    super(`invalid journey: ${problems.join('; ')}`);
    this.name = 'JourneyDefinitionError';
  }
}

/** Untrusted input of `createJourney` / `updateJourney` (already merged for an update). */
export interface JourneyDefinitionInput {
  name?: unknown;
  steps?: unknown;
  completionStep?: unknown;
  slaMs?: unknown;
  retryLoop?: unknown;
  sessionTimeoutMs?: unknown;
}

const STEP_KEY = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks a journey definition and returns a clean copy with defaults filled in. Throws
 * `JourneyDefinitionError` listing every problem at once.
 */
export function parseJourneyDefinition(input: JourneyDefinitionInput): JourneySpec {
  const problems: string[] = [];
  const L = JOURNEY_LIMITS;
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name.length < 1 || name.length > L.maxName) problems.push(`name: must be 1–${L.maxName} characters`);

  const steps: JourneyStep[] = [];
  if (!Array.isArray(input.steps) || input.steps.length < 2 || input.steps.length > L.maxSteps) {
    problems.push(`steps: must be a list of 2–${L.maxSteps} steps`);
  } else {
    const keys = new Set<string>();
    input.steps.forEach((raw, i) => {
      const step = parseStep(raw, `steps[${i}]`, problems);
      if (!step) return;
      if (keys.has(step.key)) problems.push(`steps[${i}].key: "${step.key}" is used by an earlier step`);
      keys.add(step.key);
      steps.push(step);
    });
  }

  let completionStep = steps.at(-1)?.key ?? '';
  if (input.completionStep !== undefined && input.completionStep !== null) {
    if (typeof input.completionStep !== 'string' || !steps.some((s) => s.key === input.completionStep)) {
      problems.push(`completionStep: must be the key of one of the steps (got ${JSON.stringify(input.completionStep)})`);
    } else {
      completionStep = input.completionStep;
    }
  }
  const completionIndex = steps.findIndex((s) => s.key === completionStep);
  if (completionIndex === 0) problems.push('completionStep: cannot be the first step');

  const slaMs = parseMs(input.slaMs, 'slaMs', JOURNEY_DEFAULTS.slaMs, 1, L.maxSlaMs, problems);
  const sessionTimeoutMs = parseMs(
    input.sessionTimeoutMs,
    'sessionTimeoutMs',
    JOURNEY_DEFAULTS.sessionTimeoutMs,
    L.minSessionTimeoutMs,
    L.maxSessionTimeoutMs,
    problems,
  );

  let retryLoop: RetryLoopThreshold = { ...JOURNEY_DEFAULTS.retryLoop };
  if (input.retryLoop !== undefined && input.retryLoop !== null) {
    if (typeof input.retryLoop !== 'object' || Array.isArray(input.retryLoop)) {
      problems.push('retryLoop: must be an object { count, windowMs }');
    } else {
      const r = input.retryLoop as Record<string, unknown>;
      const count = r.count ?? JOURNEY_DEFAULTS.retryLoop.count;
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 2 || count > L.maxRetryCount) {
        problems.push(`retryLoop.count: must be a whole number from 2 to ${L.maxRetryCount}`);
      }
      const windowMs = parseMs(r.windowMs, 'retryLoop.windowMs', JOURNEY_DEFAULTS.retryLoop.windowMs, L.minRetryWindowMs, L.maxRetryWindowMs, problems);
      retryLoop = { count: count as number, windowMs };
    }
  }

  if (problems.length) throw new JourneyDefinitionError(problems);
  // the completion step has no "next step", so no stall SLA; steps after it are never waited for
  const cleanSteps = steps.map((s, i) => (i >= completionIndex ? { ...s, slaMs: null } : s));
  return { name, steps: cleanSteps, completionStep, slaMs, retryLoop, sessionTimeoutMs };
}

function parseStep(raw: unknown, at: string, problems: string[]): JourneyStep | null {
  const L = JOURNEY_LIMITS;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at}: must be an object { key, event, conditions?, slaMs?, failureEvents? }`);
    return null;
  }
  const s = raw as Record<string, unknown>;
  const before = problems.length;
  if (typeof s.key !== 'string' || !STEP_KEY.test(s.key)) {
    problems.push(`${at}.key: must be 1–64 letters, digits, "_", "." or "-" (got ${JSON.stringify(s.key)})`);
  }
  if (!isEventName(s.event)) problems.push(`${at}.event: must be a non-empty event name of at most ${L.maxEventName} characters`);
  const conditions: JourneyCondition[] = [];
  if (s.conditions !== undefined && s.conditions !== null) {
    if (!Array.isArray(s.conditions) || s.conditions.length > L.maxConditions) {
      problems.push(`${at}.conditions: must be a list of at most ${L.maxConditions} conditions`);
    } else {
      s.conditions.forEach((c, j) => {
        const parsed = parseCondition(c, `${at}.conditions[${j}]`, problems);
        if (parsed) conditions.push(parsed);
      });
    }
  }
  const slaMs = parseMs(s.slaMs, `${at}.slaMs`, JOURNEY_DEFAULTS.stepSlaMs, 1, L.maxSlaMs, problems);
  const failureEvents: string[] = [];
  if (s.failureEvents !== undefined && s.failureEvents !== null) {
    if (!Array.isArray(s.failureEvents) || s.failureEvents.length > L.maxFailureEvents) {
      problems.push(`${at}.failureEvents: must be a list of at most ${L.maxFailureEvents} event names`);
    } else {
      s.failureEvents.forEach((f, j) => {
        if (!isEventName(f)) problems.push(`${at}.failureEvents[${j}]: must be a non-empty event name of at most ${L.maxEventName} characters`);
        else if (f === s.event) problems.push(`${at}.failureEvents[${j}]: "${f}" is the step's own event`);
        else if (!failureEvents.includes(f)) failureEvents.push(f);
      });
    }
  }
  if (problems.length > before) return null;
  return { key: s.key as string, event: s.event as string, conditions, slaMs, failureEvents };
}

function parseCondition(raw: unknown, at: string, problems: string[]): JourneyCondition | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${at}: must be an object { property, equals } or { property, in }`);
    return null;
  }
  const c = raw as Record<string, unknown>;
  if (typeof c.property !== 'string' || c.property.length < 1 || c.property.length > 200) {
    problems.push(`${at}.property: must be a property path of 1–200 characters, e.g. "document.type"`);
    return null;
  }
  const hasEquals = c.equals !== undefined;
  const hasIn = c.in !== undefined && c.in !== null;
  if (hasEquals === hasIn) {
    problems.push(`${at}: give exactly one of equals or in`);
    return null;
  }
  if (hasEquals) {
    if (!isScalar(c.equals)) {
      problems.push(`${at}.equals: must be a string, number, boolean or null`);
      return null;
    }
    return { property: c.property, equals: c.equals };
  }
  if (!Array.isArray(c.in) || c.in.length < 1 || c.in.length > JOURNEY_LIMITS.maxInValues || !c.in.every(isScalar)) {
    problems.push(`${at}.in: must be a list of 1–${JOURNEY_LIMITS.maxInValues} strings, numbers, booleans or nulls`);
    return null;
  }
  return { property: c.property, in: [...(c.in as JourneyScalar[])] };
}

function parseMs(value: unknown, at: string, fallback: number, min: number, max: number, problems: string[]): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push(`${at}: must be a whole number of milliseconds from ${min} to ${max} (got ${JSON.stringify(value)})`);
    return fallback;
  }
  return value;
}

function isEventName(value: unknown): value is string {
  return typeof value === 'string' && value.trim().length > 0 && value.length <= JOURNEY_LIMITS.maxEventName;
}

function isScalar(value: unknown): value is JourneyScalar {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Index of the completion step in `spec.steps`. */
export function completionIndex(spec: JourneySpec): number {
  return spec.steps.findIndex((s) => s.key === spec.completionStep);
}

/** Every event name the journey reacts to (step and failure events). */
export function journeyEventNames(spec: JourneySpec): string[] {
  return [...new Set(spec.steps.flatMap((s) => [s.event, ...s.failureEvents]))];
}
