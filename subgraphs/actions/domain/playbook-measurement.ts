import type { OutcomeDirection } from './uplift/playbook-impact';

/**
 * How a playbook is measured (issue #13), versioned with the playbook: the share held out as a
 * control, the outcome observed over a window after assignment, and the guardrail events that
 * pause it when they get significantly more frequent than in control.
 */

/** `churned`: the customer did `event` in the window (to reduce); `converted`: did it (to increase); `revenue`: Σ `revenueProperty` of `event`. */
export type OutcomeKind = 'churned' | 'converted' | 'revenue';
export const OUTCOME_KINDS: readonly OutcomeKind[] = ['churned', 'converted', 'revenue'];

export interface OutcomeDefinition {
  kind: OutcomeKind;
  /** The event name that is the outcome, e.g. `Account Closed`. */
  event: string;
  /** Days after assignment the outcome is observed for. */
  windowDays: number;
  /** For `revenue`: the event property holding the amount. */
  revenueProperty: string | null;
}

export interface PlaybookMeasurement {
  /** Share of enrolled customers held out as control, in [0, MAX_HOLDOUT]. Default 0.1. */
  holdoutFraction: number;
  outcome: OutcomeDefinition;
  /** Event names counted per arm as guardrails (unsubscribes, complaints, opt-outs). */
  guardrails: string[];
}

export const DEFAULT_HOLDOUT = 0.1;
/** A holdout above this leaves too few treated customers for a playbook to be worth running. */
export const MAX_HOLDOUT = 0.5;
export const MAX_WINDOW_DAYS = 365;
export const MAX_GUARDRAILS = 10;
export const DEFAULT_GUARDRAILS: readonly string[] = ['Unsubscribed', 'Complaint', 'Opted Out', 'Message Complained'];
/** Outcome of a playbook that names none: churn, read as the `Account Closed` event within 30 days. */
export const DEFAULT_OUTCOME: OutcomeDefinition = { kind: 'churned', event: 'Account Closed', windowDays: 30, revenueProperty: null };

export const DEFAULT_MEASUREMENT: PlaybookMeasurement = { holdoutFraction: DEFAULT_HOLDOUT, outcome: DEFAULT_OUTCOME, guardrails: [...DEFAULT_GUARDRAILS] };

/** A measurement as an admin sends it (every field optional: defaults fill in). */
export interface MeasurementDraft {
  holdoutFraction?: number | null;
  outcome?: { kind?: string | null; event?: string | null; windowDays?: number | null; revenueProperty?: string | null } | null;
  guardrails?: string[] | null;
}

/**
 * Checks and normalises a measurement draft. Problems name their field (`holdoutFraction`,
 * `outcome.windowDays`, `guardrails[1]`); the caller prefixes the input path.
 */
export function validateMeasurement(draft: MeasurementDraft): { measurement: PlaybookMeasurement; problems: { field: string; message: string }[] } {
  const problems: { field: string; message: string }[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const holdoutFraction = draft.holdoutFraction ?? DEFAULT_HOLDOUT;
  if (typeof holdoutFraction !== 'number' || !(holdoutFraction >= 0 && holdoutFraction <= MAX_HOLDOUT)) problem('holdoutFraction', `must be a number from 0 to ${MAX_HOLDOUT}`);

  const o = draft.outcome ?? null;
  let outcome = DEFAULT_OUTCOME;
  if (o) {
    const kind = String(o.kind ?? '').toLowerCase() as OutcomeKind;
    if (!OUTCOME_KINDS.includes(kind)) problem('outcome.kind', `must be one of ${OUTCOME_KINDS.map((k) => k.toUpperCase()).join(', ')}`);
    const event = (o.event ?? '').trim();
    if (event.length < 1 || event.length > 200) problem('outcome.event', 'must be an event name of 1–200 characters');
    const windowDays = o.windowDays;
    if (typeof windowDays !== 'number' || !Number.isInteger(windowDays) || windowDays < 1 || windowDays > MAX_WINDOW_DAYS) problem('outcome.windowDays', `must be a whole number of days from 1 to ${MAX_WINDOW_DAYS}`);
    const revenueProperty = o.revenueProperty?.trim() || null;
    if (kind === 'revenue' && !revenueProperty) problem('outcome.revenueProperty', 'is required for a REVENUE outcome');
    if (revenueProperty && revenueProperty.length > 200) problem('outcome.revenueProperty', 'must be at most 200 characters');
    outcome = { kind, event, windowDays: windowDays ?? 0, revenueProperty: kind === 'revenue' ? revenueProperty : null };
  }

  const names = draft.guardrails ?? [...DEFAULT_GUARDRAILS];
  if (names.length > MAX_GUARDRAILS) problem('guardrails', `at most ${MAX_GUARDRAILS} events`);
  const guardrails: string[] = [];
  names.forEach((g, i) => {
    const name = typeof g === 'string' ? g.trim() : '';
    if (name.length < 1 || name.length > 200) problem(`guardrails[${i}]`, 'must be an event name of 1–200 characters');
    else if (name === outcome.event) problem(`guardrails[${i}]`, 'must differ from the outcome event');
    else if (!guardrails.includes(name)) guardrails.push(name);
  });
  return { measurement: { holdoutFraction, outcome, guardrails }, problems };
}

/** What an admin should know about a measurement that is valid but weak. */
export function measurementWarnings(m: PlaybookMeasurement): string[] {
  return m.holdoutFraction === 0 ? ['holdoutFraction is 0: nobody is held out, so what this playbook changes cannot be measured'] : [];
}

/** The direction of an outcome: churn is to reduce; conversions and revenue are to increase. */
export function directionOf(kind: OutcomeKind): OutcomeDirection {
  return kind === 'churned' ? 'reduce' : 'increase';
}

/** The measurement of a stored version; versions stored before measurement existed take the defaults. */
export function measurementOf(stored: PlaybookMeasurement | null | undefined): PlaybookMeasurement {
  return stored ?? DEFAULT_MEASUREMENT;
}
