/**
 * Where the action queue reads a profile's current traits (consent, time zone, names for
 * templates) at the moment a step runs. The profiles subgraph owns traits; this interface keeps
 * the step runner independent of how they reach actions.
 */
export interface ProfileTraitsReader {
  /** The profile's traits, or null when unknown (the run then uses the traits it was enrolled with). */
  traitsOf(tenantId: string, profileId: string): Promise<Record<string, unknown> | null>;
}
