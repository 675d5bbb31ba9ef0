import { windowKey, type EventWindow } from './condition';
import type { SegmentFacts } from './evaluate-condition';

/** What the facts need of a profile row. */
export interface FactsProfile {
  id: string;
  traits: Readonly<Record<string, unknown>> | null;
  computedTraits: Readonly<Record<string, unknown>> | null;
  createdAt: Date;
}

/** One stored identity of a profile (type as stored, e.g. `email`; value normalised). */
export interface FactsIdentity {
  profileId: string;
  type: string;
  value: string;
}

/** What was read for a set of profiles: window counts by `windowKey`, latest event times, identities. */
export interface FactsReads {
  windows: readonly EventWindow[];
  counts: ReadonlyMap<string, Readonly<Record<string, number>>>;
  lastSeen: ReadonlyMap<string, Date>;
  identities: readonly FactsIdentity[];
}

/** The windows of this list without repeats (two segments counting the same window read it once). */
export function distinctWindows(windows: readonly EventWindow[]): EventWindow[] {
  return [...new Map(windows.map((w) => [windowKey(w), w])).values()];
}

/**
 * Each profile's `SegmentFacts` from the rows read for all of them: a window without events
 * counts 0, and a profile without events counts as last seen when it was created.
 */
export function segmentFactsOf(profiles: readonly FactsProfile[], reads: FactsReads): Map<string, SegmentFacts> {
  const zero = Object.fromEntries(reads.windows.map((w) => [windowKey(w), 0]));
  const identitiesOf = new Map<string, Record<string, string[]>>();
  for (const identity of reads.identities) {
    const byKind = identitiesOf.get(identity.profileId) ?? {};
    (byKind[identity.type] ??= []).push(identity.value);
    identitiesOf.set(identity.profileId, byKind);
  }
  const facts = new Map<string, SegmentFacts>();
  for (const profile of profiles) {
    facts.set(profile.id, {
      traits: profile.traits ?? {},
      computedTraits: profile.computedTraits ?? {},
      identities: identitiesOf.get(profile.id) ?? {},
      eventCounts: { ...zero, ...reads.counts.get(profile.id) },
      lastSeen: reads.lastSeen.get(profile.id) ?? profile.createdAt,
    });
  }
  return facts;
}
