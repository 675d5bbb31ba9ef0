import type { OutcomeKind } from './playbook-measurement';
import { lookup } from './playbook-template';

/** An assignment as matching needs it (the outcome definition copied onto the log row). */
export interface OpenAssignment {
  id: string;
  playbookId: string;
  profileId: string;
  arm: string;
  assignedAt: Date;
  outcomeKind: OutcomeKind;
  outcomeEvent: string;
  revenueProperty: string | null;
  windowEndsAt: Date;
  guardrails: string[];
}

/** An event of a batch, under the profile it lives on now (merges followed). */
export interface ObservedEvent {
  eventId: string;
  profileId: string;
  name: string;
  properties: Record<string, unknown>;
  occurredAt: Date;
}

/** One event that counts for one assignment: its outcome, or one of its guardrails. */
export interface Observation {
  assignment: OpenAssignment;
  kind: 'outcome' | 'guardrail';
  event: ObservedEvent;
  /** The revenue amount of a REVENUE outcome; null otherwise or when the property is not a number. */
  value: number | null;
}

/**
 * The events of a batch that count for the assignments of their profiles: an event counts when
 * it happened in the window [assignedAt, windowEndsAt) and is the outcome event (or a guardrail
 * event) of the assignment's playbook. Pure; the caller keys each on (assignment, kind, event id).
 */
export function matchObservations(assignments: readonly OpenAssignment[], events: readonly ObservedEvent[]): Observation[] {
  const byProfile = new Map<string, OpenAssignment[]>();
  for (const a of assignments) byProfile.set(a.profileId, [...(byProfile.get(a.profileId) ?? []), a]);
  const out: Observation[] = [];
  for (const event of events) {
    for (const a of byProfile.get(event.profileId) ?? []) {
      const t = event.occurredAt.getTime();
      if (t < a.assignedAt.getTime() || t >= a.windowEndsAt.getTime()) continue;
      if (event.name === a.outcomeEvent) out.push({ assignment: a, kind: 'outcome', event, value: a.outcomeKind === 'revenue' ? amountOf(event.properties, a.revenueProperty) : null });
      else if (a.guardrails.includes(event.name)) out.push({ assignment: a, kind: 'guardrail', event, value: null });
    }
  }
  return out;
}

function amountOf(properties: Record<string, unknown>, property: string | null): number | null {
  if (!property) return null;
  const v = lookup(properties, property);
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}
