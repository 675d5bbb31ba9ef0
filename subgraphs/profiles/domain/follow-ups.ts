/** Where one event of a resolve job landed: its profile and the profiles it merged away. */
export interface EventLanding {
  profileId: string;
  mergedIds: string[];
}

/** What a resolve job's events tell the other stages once they are all done. */
export interface JobFollowUps {
  /** Profile → the last event of the job that touched it (it names the `evaluate-segments` job). */
  evaluate: Map<string, string>;
  /** One per merge: to risk's `record-activity`, which re-points its copy of the history. */
  merges: { profileId: string; mergedProfileId: string }[];
}

/**
 * The follow-ups of the events a resolve job resolved, in order (`landing` null when the event had
 * no usable identity): `evaluate-segments` once per profile the job touched, merged-away ones
 * included (their memberships close), rather than once per event; and a `record-activity` merge
 * per merge. (The job's `event-resolved` batch goes out once every event is resolved, not here.)
 */
export function jobFollowUps(resolved: readonly { eventId: string; landing: EventLanding | null }[]): JobFollowUps {
  const result: JobFollowUps = { evaluate: new Map(), merges: [] };
  for (const { eventId, landing } of resolved) {
    if (!landing) continue;
    for (const id of [landing.profileId, ...landing.mergedIds]) result.evaluate.set(id, eventId);
    for (const mergedProfileId of landing.mergedIds) result.merges.push({ profileId: landing.profileId, mergedProfileId });
  }
  return result;
}
