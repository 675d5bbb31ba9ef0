import { burstSeverity, findRuns, formatDuration, keySegment, MAX_EVIDENCE_IDS, runForTrigger, type FrictionEvent, type ReportedWindow } from './events';
import type { FrictionFinding } from './finding';
import type { BurstOptions, RageClickOptions } from './settings';

export interface BurstInput {
  profileId: string;
  /** The event the job is for. Only a burst containing it is reported. */
  trigger: FrictionEvent;
  /** The profile's events of the counted names around the trigger (at least `windowMs` either side). */
  events: readonly FrictionEvent[];
  /** Bursts of this type already recorded for the profile. */
  reported?: readonly ReportedWindow[];
}

function burst(
  type: 'support_burst' | 'error_burst',
  input: BurstInput,
  options: BurstOptions,
  base: number,
  describe: (run: FrictionEvent[], span: string) => string,
): FrictionFinding | null {
  const { trigger, profileId } = input;
  if (!options.enabled || !trigger.name || !options.events.includes(trigger.name)) return null;
  const counted = input.events.filter((e) => e.name !== null && options.events.includes(e.name));
  if (!counted.some((e) => e.id === trigger.id)) counted.push(trigger);
  const run = runForTrigger(findRuns(counted, { minCount: options.minEvents, windowMs: options.windowMs }), trigger.id, input.reported ?? [], null);
  if (!run) return null;
  const start = run[0].timestamp;
  const end = run[run.length - 1].timestamp;
  const span = end.getTime() - start.getTime();
  return {
    type,
    profileId,
    severity: burstSeverity(run.length, options.minEvents, base),
    detectedAt: end,
    evidence: {
      summary: describe(run, formatDuration(span)),
      count: run.length,
      eventNames: [...new Set(run.map((e) => e.name))],
      windowStart: start.toISOString(),
      windowEnd: end.toISOString(),
      spanMs: span,
      threshold: { minEvents: options.minEvents, windowMs: options.windowMs },
      eventIds: run.slice(0, MAX_EVIDENCE_IDS).map((e) => e.id),
    },
    dedupeKey: `${type}-${profileId}-all-${start.getTime()}`,
  };
}

/**
 * Support burst: at least `minEvents` support-ticket events (default `Ticket Created`, 3) within
 * `windowMs` (default 7 days). Severity 0.6 at the threshold, +0.1 per further ticket.
 */
export function detectSupportBurst(input: BurstInput, options: BurstOptions): FrictionFinding | null {
  return burst('support_burst', input, options, 0.6, (run, span) => `${run.length} support tickets in ${span}`);
}

/**
 * Error burst: at least `minEvents` client error events (default `Error Occurred`, 5) within
 * `windowMs` (default 10 minutes). Evidence lists the distinct error messages/codes seen.
 * Severity 0.4 at the threshold, +0.1 per further error.
 */
export function detectErrorBurst(input: BurstInput, options: BurstOptions): FrictionFinding | null {
  const finding = burst('error_burst', input, options, 0.4, (run, span) => `${run.length} errors in ${span}`);
  if (!finding) return null;
  const ids = new Set(finding.evidence.eventIds);
  const errors = [
    ...new Set(
      input.events
        .filter((e) => ids.has(e.id))
        .map((e) => String(e.properties.message ?? e.properties.code ?? e.properties.error ?? ''))
        .filter((m) => m.length > 0),
    ),
  ].slice(0, 10);
  if (errors.length) finding.evidence.summary += ` (${errors.map((m) => `"${m.slice(0, 60)}"`).join(', ')})`;
  return { ...finding, evidence: { ...finding.evidence, errors } };
}

/** The clicked element named by the event, or null. */
export function clickedElement(event: FrictionEvent, options: RageClickOptions): string | null {
  for (const key of options.elementProperties) {
    const v = event.properties[key];
    if ((typeof v === 'string' && v.length > 0) || typeof v === 'number') return String(v);
  }
  return null;
}

/**
 * Rage clicks: at least `minEvents` clicks (default 4 `Element Clicked`) on one element (the
 * first of `elementProperties` present: `element`, `selector`, `elementId`) within `windowMs`
 * (default 2 s). Clicks without an element name are ignored. Severity 0.4 at the threshold,
 * +0.1 per further click.
 */
export function detectRageClick(input: BurstInput, options: RageClickOptions): FrictionFinding | null {
  const { trigger, profileId } = input;
  if (!options.enabled || !trigger.name || !options.events.includes(trigger.name)) return null;
  const element = clickedElement(trigger, options);
  if (element === null) return null;
  const clicks = input.events.filter((e) => e.name !== null && options.events.includes(e.name) && clickedElement(e, options) === element);
  if (!clicks.some((e) => e.id === trigger.id)) clicks.push(trigger);
  const run = runForTrigger(findRuns(clicks, { minCount: options.minEvents, windowMs: options.windowMs }), trigger.id, input.reported ?? [], element);
  if (!run) return null;
  const start = run[0].timestamp;
  const end = run[run.length - 1].timestamp;
  const span = end.getTime() - start.getTime();
  return {
    type: 'rage_click',
    profileId,
    severity: burstSeverity(run.length, options.minEvents, 0.4),
    detectedAt: end,
    evidence: {
      summary: `${run.length} clicks on "${element}" in ${(span / 1000).toFixed(1)} s`,
      element,
      clicks: run.length,
      windowStart: start.toISOString(),
      windowEnd: end.toISOString(),
      spanMs: span,
      threshold: { minEvents: options.minEvents, windowMs: options.windowMs },
      eventIds: run.slice(0, MAX_EVIDENCE_IDS).map((e) => e.id),
    },
    dedupeKey: `rage_click-${profileId}-${keySegment(element)}-${start.getTime()}`,
  };
}
