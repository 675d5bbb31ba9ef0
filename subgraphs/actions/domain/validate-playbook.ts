import { FIELD_LIMITS } from '../../common/limits';

import { parseLocalTime, isTimeZone } from './local-time';
import {
  CONDITION_OPS,
  STEP_TYPES,
  TASK_PRIORITIES,
  successorsOf,
  type BranchArm,
  type ConditionOp,
  type FactCondition,
  type PlaybookDefinition,
  type PlaybookStep,
  type PropertyEquals,
  type TaskPriorityName,
  type ExperimentVariant,
} from './playbook';
import { validateMeasurement, type MeasurementDraft, type PlaybookMeasurement } from './playbook-measurement';
import { templateProblems } from './playbook-template';
import { CONTROL_ARM, MAX_VARIANTS } from './uplift/assignment';
import { MSPRT_DEFAULTS } from './uplift/msprt';

type Scalar = string | number | boolean;

/** A step as an admin sends it (the GraphQL input, flattened: which fields apply depends on `type`). */
export interface PlaybookStepDraft {
  id: string;
  type: string;
  next?: string | null;
  channel?: string | null;
  to?: string | null;
  subject?: string | null;
  body?: string | null;
  html?: string | null;
  onFailure?: string | null;
  seconds?: number | null;
  untilLocalTime?: string | null;
  fallbackTimezone?: string | null;
  event?: string | null;
  where?: { property: string; equals: Scalar }[] | null;
  timeoutSeconds?: number | null;
  onEvent?: string | null;
  onTimeout?: string | null;
  arms?: { when: { field: string; op: string; value?: Scalar | Scalar[] | null }[]; next?: string | null }[] | null;
  otherwise?: string | null;
  team?: string | null;
  title?: string | null;
  priority?: string | null;
  dueInSeconds?: number | null;
  escalateToTeam?: string | null;
  data?: Record<string, unknown> | null;
  traits?: Record<string, unknown> | null;
  key?: string | null;
  name?: string | null;
  control?: { weight?: number | null; next?: string | null } | null;
  variants?: { name: string; weight?: number | null; next?: string | null }[] | null;
  goal?: { event?: string | null; where?: { property: string; equals: Scalar }[] | null; windowSeconds?: number | null } | null;
  autoWinner?: { minSamplePerArm?: number | null; alpha?: number | null; mixingSd?: number | null } | null;
}

/** A playbook as an admin sends it (with how it is measured: holdout, outcome, guardrails). */
export interface PlaybookDraft extends MeasurementDraft {
  name: string;
  description?: string | null;
  /** The first step; default the first in `steps`. */
  entry?: string | null;
  /** End runs when risk falls back to Low. Default true. */
  exitWhenRiskLow?: boolean | null;
  steps: PlaybookStepDraft[];
}

export interface ValidPlaybook {
  name: string;
  description: string | null;
  definition: PlaybookDefinition;
  measurement: PlaybookMeasurement;
}

/** One thing wrong with a draft; `field` is its path in the input, e.g. `steps[2].timeoutSeconds`. */
export interface PlaybookProblem {
  field: string;
  message: string;
}

/** Longest wait, timeout or due time: 90 days, in seconds. */
export const MAX_DURATION_SECONDS = 90 * 24 * 3600;
const STEP_ID = new RegExp(`^[a-z0-9_]{1,${FIELD_LIMITS.stepIdLength}}$`);
const NAME = new RegExp(`^[A-Za-z0-9_.:\\- ]{1,${FIELD_LIMITS.channelRefLength}}$`);
const FACT_ROOTS = ['profile.', 'risk.', 'alert.', 'steps.'];
/** Keys of a webhook's `data` and of `updateTraits`. */
const KEY = new RegExp(`^[A-Za-z0-9_]{1,${FIELD_LIMITS.stepKeyLength}}$`);
const VARIANT_NAME = new RegExp(`^[a-z0-9_]{1,${FIELD_LIMITS.variantNameLength}}$`);
/** Largest relative traffic weight of an experiment arm (a value, not a size: it stays here). */
const MAX_WEIGHT = 1000;

/**
 * Checks a draft playbook and normalises it (trimmed text, defaults filled in). Returns every
 * problem at once, each naming its field, and rejects references to steps that do not exist.
 */
export function validatePlaybook(draft: PlaybookDraft): { playbook: ValidPlaybook; problems: [] } | { playbook: null; problems: PlaybookProblem[] } {
  const problems: PlaybookProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const name = (draft.name ?? '').trim();
  if (name.length < 1 || name.length > FIELD_LIMITS.nameLength) problem('name', `must be 1–${FIELD_LIMITS.nameLength} characters`);
  const description = draft.description?.trim() || null;
  if (description && description.length > FIELD_LIMITS.descriptionLength) problem('description', `must be at most ${FIELD_LIMITS.descriptionLength} characters`);
  const drafts = Array.isArray(draft.steps) ? draft.steps : [];
  if (drafts.length < 1 || drafts.length > FIELD_LIMITS.playbookSteps) problem('steps', `must have 1–${FIELD_LIMITS.playbookSteps} steps`);

  const steps: PlaybookStep[] = [];
  const seen = new Set<string>();
  drafts.forEach((d, i) => {
    const at = `steps[${i}]`;
    const id = String(d.id ?? '').trim();
    if (!STEP_ID.test(id)) problem(`${at}.id`, `must be 1–${FIELD_LIMITS.stepIdLength} characters of a-z, 0-9 and _`);
    else if (seen.has(id)) problem(`${at}.id`, `duplicates step ${id}`);
    seen.add(id);
    const step = validateStep(d, id, at, problem);
    if (step) steps.push(step);
  });

  const keys = new Set<string>();
  steps.forEach((s) => {
    if (s.type !== 'experiment') return;
    if (keys.has(s.key)) problem(`steps[${drafts.findIndex((d) => String(d.id ?? '').trim() === s.id)}].key`, `duplicates experiment ${s.key}`);
    keys.add(s.key);
  });
  const ids = new Set(steps.map((s) => s.id));
  const entry = (draft.entry ?? drafts[0]?.id ?? '').trim();
  if (drafts.length > 0 && !ids.has(entry)) problem('entry', `no step has the id ${entry || '(empty)'}`);
  // dangling references: every successor must be a step of this playbook (or null: the run ends)
  drafts.forEach((d, i) => {
    const step = steps.find((s) => s.id === String(d.id ?? '').trim());
    if (!step) return;
    for (const [field, target] of referencesOf(step)) {
      if (target !== null && !ids.has(target)) problem(`steps[${i}].${field}`, `refers to a step that does not exist: ${target}`);
    }
  });
  const { measurement, problems: measured } = validateMeasurement(draft);
  problems.push(...measured);
  if (problems.length) return { playbook: null, problems };
  return { playbook: { name, description, definition: { entry, steps, exitWhen: { riskLow: draft.exitWhenRiskLow ?? true } }, measurement }, problems: [] };
}

function referencesOf(step: PlaybookStep): [string, string | null][] {
  switch (step.type) {
    case 'send':
    case 'webhook':
      return [['next', step.next], ['onFailure', step.onFailure ?? null]];
    case 'waitForEvent':
      return [['onEvent', step.onEvent], ['onTimeout', step.onTimeout]];
    case 'branch':
      return [...step.arms.map((a, j): [string, string | null] => [`arms[${j}].next`, a.next]), ['otherwise', step.otherwise]];
    case 'experiment':
      return [['control.next', step.control.next], ...step.variants.map((v, j): [string, string | null] => [`variants[${j}].next`, v.next])];
    default:
      return successorsOf(step).map((s): [string, string | null] => ['next', s]);
  }
}

function validateStep(d: PlaybookStepDraft, id: string, at: string, problem: (field: string, message: string) => void): PlaybookStep | null {
  const ref = (v: string | null | undefined) => (v == null || v.trim() === '' ? null : v.trim());
  const duration = (field: string, v: number | null | undefined): number => {
    if (v == null || !Number.isInteger(v) || v <= 0 || v > MAX_DURATION_SECONDS) problem(`${at}.${field}`, `must be a positive duration in whole seconds, at most ${MAX_DURATION_SECONDS}`);
    return v ?? 0;
  };
  const template = (field: string, v: string | null | undefined, max: number): string | null => {
    if (v == null) return null;
    if (v.length > max) problem(`${at}.${field}`, `must be at most ${max} characters`);
    for (const p of templateProblems(v)) problem(`${at}.${field}`, p);
    return v;
  };
  switch (d.type) {
    case 'send': {
      const channel = (d.channel ?? '').trim();
      if (!NAME.test(channel)) problem(`${at}.channel`, `must name one of your channels (1–${FIELD_LIMITS.channelRefLength} characters)`);
      const subject = template('subject', d.subject, FIELD_LIMITS.subjectLength);
      const body = template('body', d.body, FIELD_LIMITS.bodyLength);
      const html = template('html', d.html, FIELD_LIMITS.htmlLength);
      const to = template('to', d.to, FIELD_LIMITS.toLength);
      if (!body && !html && !subject) problem(`${at}.body`, 'a send needs a body, an html part or a subject');
      return { id, type: 'send', channel, to, subject, body, html, next: ref(d.next), onFailure: ref(d.onFailure) };
    }
    case 'wait': {
      const hasSeconds = d.seconds != null;
      const hasTime = d.untilLocalTime != null;
      if (hasSeconds === hasTime) {
        problem(`${at}.seconds`, 'give either seconds or untilLocalTime, not both');
        return null;
      }
      if (hasSeconds) return { id, type: 'wait', seconds: duration('seconds', d.seconds), untilLocalTime: null, fallbackTimezone: null, next: ref(d.next) };
      if (!parseLocalTime(d.untilLocalTime!)) problem(`${at}.untilLocalTime`, 'must be a time of day HH:MM (00:00–23:59)');
      const fallbackTimezone = d.fallbackTimezone?.trim() || 'UTC';
      if (!isTimeZone(fallbackTimezone)) problem(`${at}.fallbackTimezone`, 'must be an IANA time zone such as Europe/Paris');
      return { id, type: 'wait', seconds: null, untilLocalTime: d.untilLocalTime!, fallbackTimezone, next: ref(d.next) };
    }
    case 'waitForEvent': {
      const event = (d.event ?? '').trim();
      if (event.length < 1 || event.length > FIELD_LIMITS.waitEventNameLength) problem(`${at}.event`, `must be an event name of 1–${FIELD_LIMITS.waitEventNameLength} characters`);
      const where: PropertyEquals[] = [];
      (d.where ?? []).forEach((w, j) => {
        const property = (w?.property ?? '').trim();
        if (property.length < 1 || property.length > FIELD_LIMITS.waitEventNameLength) problem(`${at}.where[${j}].property`, `must be a property name of 1–${FIELD_LIMITS.waitEventNameLength} characters`);
        if (!isScalar(w?.equals)) problem(`${at}.where[${j}].equals`, 'must be a string, number or boolean');
        where.push({ property, equals: w?.equals });
      });
      if (where.length > FIELD_LIMITS.armConditions) problem(`${at}.where`, `at most ${FIELD_LIMITS.armConditions} conditions`);
      const timeoutSeconds = duration('timeoutSeconds', d.timeoutSeconds);
      return { id, type: 'waitForEvent', event, where, timeoutSeconds, onEvent: ref(d.onEvent), onTimeout: ref(d.onTimeout) };
    }
    case 'branch': {
      const arms: BranchArm[] = [];
      const drafts = d.arms ?? [];
      if (drafts.length < 1 || drafts.length > FIELD_LIMITS.branchArms) problem(`${at}.arms`, `must have 1–${FIELD_LIMITS.branchArms} arms`);
      drafts.forEach((a, j) => {
        const when: FactCondition[] = [];
        if (!a?.when?.length || a.when.length > FIELD_LIMITS.armConditions) problem(`${at}.arms[${j}].when`, `must have 1–${FIELD_LIMITS.armConditions} conditions`);
        (a?.when ?? []).forEach((c, k) => {
          const cond = validateCondition(c, `${at}.arms[${j}].when[${k}]`, problem);
          if (cond) when.push(cond);
        });
        arms.push({ when, next: ref(a?.next) });
      });
      return { id, type: 'branch', arms, otherwise: ref(d.otherwise) };
    }
    case 'createTask': {
      const team = (d.team ?? '').trim();
      if (team.length < 1 || team.length > FIELD_LIMITS.teamLength) problem(`${at}.team`, `must be 1–${FIELD_LIMITS.teamLength} characters`);
      const title = template('title', d.title, FIELD_LIMITS.titleLength)?.trim() ?? '';
      if (!title) problem(`${at}.title`, `must be 1–${FIELD_LIMITS.titleLength} characters`);
      const priority = String(d.priority ?? 'normal').toLowerCase() as TaskPriorityName;
      if (!TASK_PRIORITIES.includes(priority)) problem(`${at}.priority`, `must be one of ${TASK_PRIORITIES.join(', ')}`);
      const dueInSeconds = duration('dueInSeconds', d.dueInSeconds);
      const escalateToTeam = d.escalateToTeam?.trim() || null;
      if (escalateToTeam && escalateToTeam.length > FIELD_LIMITS.teamLength) problem(`${at}.escalateToTeam`, `must be 1–${FIELD_LIMITS.teamLength} characters`);
      return { id, type: 'createTask', team, title, priority, dueInSeconds, ...(escalateToTeam ? { escalateToTeam } : {}), next: ref(d.next) };
    }
    case 'webhook': {
      const channel = (d.channel ?? '').trim();
      if (!NAME.test(channel)) problem(`${at}.channel`, `must name one of your webhook channels (1–${FIELD_LIMITS.channelRefLength} characters)`);
      const data: Record<string, string> = {};
      const entries = isPlainObject(d.data) ? Object.entries(d.data) : [];
      if (d.data != null && !isPlainObject(d.data)) problem(`${at}.data`, 'must be an object of templates');
      if (entries.length > FIELD_LIMITS.stepKeys) problem(`${at}.data`, `at most ${FIELD_LIMITS.stepKeys} keys`);
      for (const [key, value] of entries) {
        if (!KEY.test(key)) problem(`${at}.data.${key}`, `keys must be 1–${FIELD_LIMITS.stepKeyLength} characters of letters, digits and _`);
        else if (typeof value !== 'string') problem(`${at}.data.${key}`, 'must be a template string');
        else data[key] = template(`data.${key}`, value, FIELD_LIMITS.webhookDataValueLength) ?? '';
      }
      return { id, type: 'webhook', channel, data, next: ref(d.next), onFailure: ref(d.onFailure) };
    }
    case 'updateTraits': {
      const traits: Record<string, string | number | boolean | null> = {};
      const entries = isPlainObject(d.traits) ? Object.entries(d.traits) : [];
      if (entries.length < 1 || entries.length > FIELD_LIMITS.stepKeys) problem(`${at}.traits`, `must be an object of 1–${FIELD_LIMITS.stepKeys} traits`);
      for (const [key, value] of entries) {
        if (!KEY.test(key)) problem(`${at}.traits.${key}`, `keys must be 1–${FIELD_LIMITS.stepKeyLength} characters of letters, digits and _`);
        else if (value !== null && !isScalar(value)) problem(`${at}.traits.${key}`, 'must be a string (a template), number, boolean or null');
        else traits[key] = typeof value === 'string' ? (template(`traits.${key}`, value, FIELD_LIMITS.traitValueLength) ?? '') : value;
      }
      return { id, type: 'updateTraits', traits, next: ref(d.next) };
    }
    case 'experiment':
      return validateExperiment(d, id, at, problem);
    case 'exit':
      return { id, type: 'exit' };
    default:
      problem(`${at}.type`, `must be one of ${STEP_TYPES.join(', ')}`);
      return null;
  }
}

function validateExperiment(d: PlaybookStepDraft, id: string, at: string, problem: (field: string, message: string) => void): PlaybookStep {
  const ref = (v: string | null | undefined) => (v == null || v.trim() === '' ? null : v.trim());
  const weight = (field: string, v: number | null | undefined): number => {
    if (v == null) return 1;
    if (typeof v !== 'number' || !(v > 0 && v <= MAX_WEIGHT)) problem(`${at}.${field}`, `must be a number above 0 and at most ${MAX_WEIGHT}`);
    return v;
  };
  const key = String(d.key ?? id).trim();
  if (!STEP_ID.test(key)) problem(`${at}.key`, `must be 1–${FIELD_LIMITS.stepIdLength} characters of a-z, 0-9 and _`);
  const name = (d.name ?? key).trim();
  if (name.length < 1 || name.length > FIELD_LIMITS.nameLength) problem(`${at}.name`, `must be 1–${FIELD_LIMITS.nameLength} characters`);
  if (d.control != null && !isPlainObject(d.control)) problem(`${at}.control`, 'must be an object { weight?, next }');
  const control = { weight: weight('control.weight', d.control?.weight), next: ref(d.control?.next) };
  const drafts = Array.isArray(d.variants) ? d.variants : [];
  if (drafts.length < 2 || drafts.length > MAX_VARIANTS) problem(`${at}.variants`, `must have 2–${MAX_VARIANTS} variants (besides control)`);
  const variants: ExperimentVariant[] = [];
  drafts.forEach((v, j) => {
    const vName = String(v?.name ?? '').trim();
    if (!VARIANT_NAME.test(vName) || vName === CONTROL_ARM) problem(`${at}.variants[${j}].name`, `must be 1–${FIELD_LIMITS.variantNameLength} characters of a-z, 0-9 and _, other than ${CONTROL_ARM}`);
    else if (variants.some((x) => x.name === vName)) problem(`${at}.variants[${j}].name`, `duplicates variant ${vName}`);
    variants.push({ name: vName, weight: weight(`variants[${j}].weight`, v?.weight), next: ref(v?.next) });
  });
  const g = d.goal;
  if (!isPlainObject(g)) problem(`${at}.goal`, 'is required: { event, where?, windowSeconds }');
  const event = String(g?.event ?? '').trim();
  if (event.length < 1 || event.length > FIELD_LIMITS.waitEventNameLength) problem(`${at}.goal.event`, `must be an event name of 1–${FIELD_LIMITS.waitEventNameLength} characters`);
  const where: PropertyEquals[] = [];
  (g?.where ?? []).forEach((w, j) => {
    const property = (w?.property ?? '').trim();
    if (property.length < 1 || property.length > FIELD_LIMITS.waitEventNameLength) problem(`${at}.goal.where[${j}].property`, `must be a property name of 1–${FIELD_LIMITS.waitEventNameLength} characters`);
    if (!isScalar(w?.equals)) problem(`${at}.goal.where[${j}].equals`, 'must be a string, number or boolean');
    where.push({ property, equals: w?.equals });
  });
  if (where.length > FIELD_LIMITS.armConditions) problem(`${at}.goal.where`, `at most ${FIELD_LIMITS.armConditions} conditions`);
  const windowSeconds = g?.windowSeconds;
  if (windowSeconds == null || !Number.isInteger(windowSeconds) || windowSeconds <= 0 || windowSeconds > MAX_DURATION_SECONDS) problem(`${at}.goal.windowSeconds`, `must be a positive duration in whole seconds, at most ${MAX_DURATION_SECONDS}`);
  let autoWinner = null;
  if (d.autoWinner != null) {
    const a = d.autoWinner;
    const minSamplePerArm = a.minSamplePerArm ?? MSPRT_DEFAULTS.minSamplePerArm;
    if (!Number.isInteger(minSamplePerArm) || minSamplePerArm < 30 || minSamplePerArm > 1_000_000) problem(`${at}.autoWinner.minSamplePerArm`, 'must be a whole number from 30 to 1000000');
    const alpha = a.alpha ?? MSPRT_DEFAULTS.alpha;
    if (typeof alpha !== 'number' || !(alpha > 0 && alpha <= 0.2)) problem(`${at}.autoWinner.alpha`, 'must be a number above 0 and at most 0.2');
    const mixingSd = a.mixingSd ?? MSPRT_DEFAULTS.mixingSd;
    if (typeof mixingSd !== 'number' || !(mixingSd > 0 && mixingSd <= 1)) problem(`${at}.autoWinner.mixingSd`, 'must be a number above 0 and at most 1');
    autoWinner = { minSamplePerArm, alpha, mixingSd };
  }
  return { id, type: 'experiment', key, name, control, variants, goal: { event, where, windowSeconds: windowSeconds ?? 0 }, autoWinner };
}

function validateCondition(c: { field: string; op: string; value?: Scalar | Scalar[] | null } | undefined, at: string, problem: (field: string, message: string) => void): FactCondition | null {
  const field = (c?.field ?? '').trim();
  if (!FACT_ROOTS.some((r) => field.startsWith(r)) || field.length > FIELD_LIMITS.factFieldLength) problem(`${at}.field`, `must start with ${FACT_ROOTS.join(', ')}`);
  const op = String(c?.op ?? '').toLowerCase() as ConditionOp;
  if (!CONDITION_OPS.includes(op)) {
    problem(`${at}.op`, `must be one of ${CONDITION_OPS.join(', ')}`);
    return null;
  }
  const value = c?.value ?? null;
  if (op === 'in' && !(Array.isArray(value) && value.every(isScalar))) problem(`${at}.value`, 'must be a list of values with in');
  if (['eq', 'neq'].includes(op) && !isScalar(value)) problem(`${at}.value`, `must be a string, number or boolean with ${op}`);
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && typeof value !== 'number') problem(`${at}.value`, `must be a number with ${op}`);
  return { field, op, value };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}
