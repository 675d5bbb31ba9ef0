import type { FrictionFinding } from '../friction/finding';
import { completionIndex, type JourneySpec } from './definition';
import { formatDuration } from './format';
import { stepIndex, type JourneyState, type StepReached } from './progress';
import type { JourneyFindingContext } from './retry-loop';

/**
 * Time-based journey friction: what happens when nothing happens. Every deadline is a function of
 * the instance's event times and the definition, so findings are detected at the deadline (not at
 * the sweep that noticed them) and a late or repeated sweep finds the same ones.
 */

/** What the time-based detectors need of an instance. */
export interface JourneyInstanceSnapshot {
  state: JourneyState;
  startedAt: Date;
  currentStep: string;
  steps: StepReached[];
  lastEventId: string;
  /** Latest activity of the profile (any event) since the instance started. */
  lastSeenAt: Date;
  /** The step the instance was found stalled at, if any (cleared when it moves on). */
  stalledStep: string | null;
  /** When the session ended with the journey incomplete; cleared by new activity. */
  exitedAt: Date | null;
}

/** State changes to store on the instance. */
export interface JourneyTimePatch {
  state?: JourneyState;
  stalledStep?: string;
  stalledAt?: Date;
  exitedAt?: Date;
  abandonedAt?: Date;
}

export interface TimeBasedResult {
  findings: FrictionFinding[];
  patch: JourneyTimePatch;
  /** Next time anything can happen to this instance (later than `now`); null once it is closed. */
  nextCheckAt: Date | null;
}

interface Deadlines {
  stall: number | null;
  exit: number | null;
  abandon: number;
}

/** Deadlines still pending for an open instance (a stall or exit at or after abandonment is not one). */
function deadlines(spec: JourneySpec, s: JourneyInstanceSnapshot): Deadlines {
  const abandon = s.startedAt.getTime() + spec.slaMs;
  const step = spec.steps[stepIndex(spec, s.currentStep)];
  const reached = s.steps.find((r) => r.key === s.currentStep);
  let stall: number | null = null;
  if (step?.slaMs != null && reached && s.stalledStep !== s.currentStep) stall = reached.reachedAt.getTime() + step.slaMs;
  let exit: number | null = s.exitedAt ? null : s.lastSeenAt.getTime() + spec.sessionTimeoutMs;
  if (stall !== null && stall >= abandon) stall = null;
  if (exit !== null && exit >= abandon) exit = null;
  return { stall, exit, abandon };
}

/**
 * When the sweep must look at an open instance next: its earliest pending deadline. Null for a
 * completed or abandoned instance.
 */
export function nextJourneyCheckAt(spec: JourneySpec, s: JourneyInstanceSnapshot): Date | null {
  if (s.state === 'completed' || s.state === 'abandoned') return null;
  const d = deadlines(spec, s);
  return new Date(Math.min(d.abandon, d.stall ?? Infinity, d.exit ?? Infinity));
}

/** How far into the journey the customer got, 0 (first step) to 1 (the step before completion). */
function depth(spec: JourneySpec, s: JourneyInstanceSnapshot): number {
  const done = completionIndex(spec);
  return done <= 1 ? 0 : Math.min(1, Math.max(0, stepIndex(spec, s.currentStep)) / (done - 1));
}

/**
 * Stall, mid-journey exit and abandonment of one open instance at `now`:
 * - **stall**: the current step's SLA passed without reaching a later step (once per step);
 * - **mid_journey_exit**: no activity for the session timeout with the journey incomplete (once per
 *   period of inactivity; the instance stays open, since the customer may come back);
 * - **abandonment**: the whole-journey SLA passed since the start; the instance is closed.
 * Severity grows with how far the customer got (a late-stage drop-off loses more intent): stall
 * 0.3–0.7, exit 0.4–0.7, abandonment 0.6–0.9.
 */
export function detectTimeBasedFriction(spec: JourneySpec, s: JourneyInstanceSnapshot, now: Date, ctx: JourneyFindingContext): TimeBasedResult {
  if (s.state === 'completed' || s.state === 'abandoned') return { findings: [], patch: {}, nextCheckAt: null };
  const t = now.getTime();
  const d = deadlines(spec, s);
  const k = depth(spec, s);
  const findings: FrictionFinding[] = [];
  const patch: JourneyTimePatch = {};
  const common = { journeyId: ctx.journeyId, journey: ctx.journeyName, step: s.currentStep };
  const scope = `${ctx.profileId}-${ctx.instanceId}`;

  if (d.stall !== null && d.stall <= t) {
    const reached = s.steps.find((r) => r.key === s.currentStep)!;
    const slaMs = spec.steps[stepIndex(spec, s.currentStep)].slaMs!;
    findings.push({
      type: 'stall',
      profileId: ctx.profileId,
      journeyInstanceId: ctx.instanceId,
      severity: 0.3 + 0.4 * k,
      detectedAt: new Date(d.stall),
      evidence: {
        summary: `No progress past step "${s.currentStep}" of "${ctx.journeyName}" for ${formatDuration(slaMs)} (step SLA ${formatDuration(slaMs)})`,
        eventIds: [reached.eventId],
        ...common,
        reachedAt: reached.reachedAt.toISOString(),
        slaMs,
        deadline: new Date(d.stall).toISOString(),
      },
      dedupeKey: `stall-${ctx.profileId}-${ctx.instanceId}.${s.currentStep}-${reached.reachedAt.getTime()}`,
    });
    Object.assign(patch, { state: 'stalled', stalledStep: s.currentStep, stalledAt: new Date(d.stall) });
  }
  if (d.exit !== null && d.exit <= t) {
    findings.push({
      type: 'mid_journey_exit',
      profileId: ctx.profileId,
      journeyInstanceId: ctx.instanceId,
      severity: 0.4 + 0.3 * k,
      detectedAt: new Date(d.exit),
      evidence: {
        summary: `Session ended at step "${s.currentStep}" of "${ctx.journeyName}": no activity for ${formatDuration(spec.sessionTimeoutMs)}`,
        eventIds: [s.lastEventId],
        ...common,
        lastSeenAt: s.lastSeenAt.toISOString(),
        sessionTimeoutMs: spec.sessionTimeoutMs,
      },
      dedupeKey: `mid_journey_exit-${scope}-${s.lastSeenAt.getTime()}`,
    });
    patch.exitedAt = new Date(d.exit);
  }
  if (d.abandon <= t) {
    findings.push({
      type: 'abandonment',
      profileId: ctx.profileId,
      journeyInstanceId: ctx.instanceId,
      severity: 0.6 + 0.3 * k,
      detectedAt: new Date(d.abandon),
      evidence: {
        summary: `"${ctx.journeyName}" not completed within ${formatDuration(spec.slaMs)} of its start; last step reached "${s.currentStep}"`,
        eventIds: [s.steps[0]?.eventId, s.lastEventId].filter((id, i, all): id is string => !!id && all.indexOf(id) === i),
        ...common,
        startedAt: s.startedAt.toISOString(),
        slaMs: spec.slaMs,
        stepsReached: s.steps.map((r) => r.key),
      },
      dedupeKey: `abandonment-${scope}-${s.startedAt.getTime()}`,
    });
    Object.assign(patch, { state: 'abandoned', abandonedAt: new Date(d.abandon) });
  }
  const next = { ...s, ...patch };
  return { findings, patch, nextCheckAt: nextJourneyCheckAt(spec, next) };
}
