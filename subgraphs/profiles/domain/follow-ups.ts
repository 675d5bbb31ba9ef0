import type { EventToResolve, JobPayloads } from '../../common/queues';

/** Where one event of a resolve job landed: its profile and the profiles it merged away. */
export interface EventLanding {
  profileId: string;
  mergedIds: string[];
}

/** What the events of one resolve job tell the other stages. */
export interface FollowUps {
  tenantId: string;
  /** One per event, in order: to signals' `event-resolved`. */
  resolved: JobPayloads['event-resolved'][];
  /** Profile → the last event of the job that touched it (it names the `evaluate-segments` job). */
  evaluate: Map<string, string>;
  /** One per merge: to risk's `record-activity`, which re-points its copy of the history. */
  merges: { profileId: string; mergedProfileId: string }[];
}

/**
 * The follow-ups of a resolve job's events (`landings[i]` is where `events[i]` landed, null when
 * it had no usable identity): `event-resolved` for every event, with no profile for an event
 * without identity, so the acknowledged event is processed instead of swept forever;
 * `evaluate-segments` once per profile the job touched, merged-away ones included (their
 * memberships close), rather than once per event; and a `record-activity` merge per merge.
 */
export function followUps(tenantId: string, events: readonly Pick<EventToResolve, 'eventId'>[], landings: readonly (EventLanding | null)[]): FollowUps {
  const result: FollowUps = { tenantId, resolved: [], evaluate: new Map(), merges: [] };
  events.forEach(({ eventId }, i) => {
    const landing = landings[i];
    result.resolved.push({ tenantId, eventId, profileId: landing?.profileId ?? null });
    if (!landing) return;
    for (const id of [landing.profileId, ...landing.mergedIds]) result.evaluate.set(id, eventId);
    for (const mergedProfileId of landing.mergedIds) result.merges.push({ profileId: landing.profileId, mergedProfileId });
  });
  return result;
}
