import type { ObservedEvent } from './match-observations';
import { eventMatches } from './playbook-run';
import type { PropertyEquals } from './playbook';

/** An experiment assignment as matching needs it (the goal copied onto the assignment row). */
export interface OpenExperimentAssignment {
  id: string;
  experimentId: string;
  profileId: string;
  arm: string;
  assignedAt: Date;
  windowEndsAt: Date;
  goalEvent: string;
  goalWhere: PropertyEquals[];
}

/** One goal event that counts as a conversion of one assignment. */
export interface Conversion {
  assignment: OpenExperimentAssignment;
  event: ObservedEvent;
}

/**
 * The events of a batch that are conversions of their profiles' experiment assignments: the goal
 * event (name, then every property condition equal, as `waitForEvent` matches) in the window
 * [assignedAt, windowEndsAt). Pure; the caller keys each on (assignment, event id), so a replayed
 * batch converts nobody twice, and counts customers with at least one conversion.
 */
export function matchConversions(assignments: readonly OpenExperimentAssignment[], events: readonly ObservedEvent[]): Conversion[] {
  const byProfile = new Map<string, OpenExperimentAssignment[]>();
  for (const a of assignments) byProfile.set(a.profileId, [...(byProfile.get(a.profileId) ?? []), a]);
  const out: Conversion[] = [];
  for (const event of events) {
    for (const a of byProfile.get(event.profileId) ?? []) {
      const t = event.occurredAt.getTime();
      if (t < a.assignedAt.getTime() || t >= a.windowEndsAt.getTime()) continue;
      if (eventMatches(a.goalEvent, a.goalWhere, event.name, event.properties)) out.push({ assignment: a, event });
    }
  }
  return out;
}
