import { keySegment, numericProperty, type FrictionEvent } from './events';
import type { FrictionFinding } from './finding';
import type { NegativeFeedbackOptions } from './settings';

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Negative feedback from one survey event, keeping the score as evidence:
 * - NPS (`NPS Submitted`, numeric `score` 0–10): a detractor, score ≤ 6. Severity 0.4 at 6 up to 1 at 0.
 * - CSAT (`CSAT Submitted`, numeric `score` 1–5): score ≤ 2. Severity 0.6 at 2, 0.8 at 1.
 * - other rated surveys (`Survey Submitted` / `Survey Completed`, `rating` of `scale`, default 5):
 *   rating ÷ scale ≤ 0.4. Severity 1 − rating ÷ scale, at least 0.4.
 * Numeric strings count; a missing or non-numeric score is no signal. One finding per event
 * (dedupe key `negative_feedback-<profile>-<kind>-<event time ms>`).
 */
export function detectNegativeFeedback(profileId: string, event: FrictionEvent, options: NegativeFeedbackOptions): FrictionFinding | null {
  if (!options.enabled || !event.name) return null;
  const make = (kind: string, severity: number, summary: string, numbers: Record<string, unknown>): FrictionFinding => ({
    type: 'negative_feedback',
    profileId,
    severity: round2(Math.min(1, Math.max(0, severity))),
    detectedAt: event.timestamp,
    evidence: { summary, kind, eventName: event.name, ...numbers, comment: commentOf(event), eventIds: [event.id] },
    dedupeKey: `negative_feedback-${profileId}-${keySegment(kind)}-${event.timestamp.getTime()}`,
  });
  const { nps, csat, survey } = options;
  if (nps.events.includes(event.name)) {
    const score = numericProperty(event.properties, nps.scoreProperty);
    if (score === null || score < 0 || score > 10 || score > nps.maxDetractorScore) return null;
    const severity = 0.4 + 0.6 * ((nps.maxDetractorScore - score) / Math.max(1, nps.maxDetractorScore));
    return make('nps', severity, `NPS detractor: scored ${score} of 10`, { score, scale: 10, threshold: nps.maxDetractorScore });
  }
  if (csat.events.includes(event.name)) {
    const score = numericProperty(event.properties, csat.scoreProperty);
    if (score === null || score < 0 || score > csat.maxLowScore) return null;
    const severity = 0.6 + 0.2 * (csat.maxLowScore - score);
    return make('csat', severity, `Low CSAT: scored ${score} of 5`, { score, scale: 5, threshold: csat.maxLowScore });
  }
  if (survey.events.includes(event.name)) {
    const rating = numericProperty(event.properties, survey.ratingProperty);
    const scale = numericProperty(event.properties, survey.scaleProperty) ?? survey.defaultScale;
    if (rating === null || !(scale > 0) || rating < 0 || rating / scale > survey.maxLowRatio) return null;
    return make('survey', Math.max(0.4, 1 - rating / scale), `Low survey rating: ${rating} of ${scale}`, {
      score: rating,
      scale,
      threshold: survey.maxLowRatio,
    });
  }
  return null;
}

function commentOf(event: FrictionEvent): string | null {
  const c = event.properties.comment ?? event.properties.feedback ?? event.properties.text;
  return typeof c === 'string' ? c.slice(0, 500) : null;
}
