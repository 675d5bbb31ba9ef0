/**
 * Moving a merged-away profile's friction signals to the survivor. Dedupe keys name the profile
 * (`retry_loop-<profileId>-…`), so a moved signal takes the key the survivor's detectors would
 * give the same friction; when the survivor already holds that key (it was detected under both
 * ids), the survivor's row is kept and the merged profile's copy is dropped, deterministically,
 * instead of breaking the key's uniqueness.
 */

/** The dedupe key the survivor's detectors would write: every mention of the merged id replaced. */
export function rekeyForSurvivor(dedupeKey: string, mergedProfileId: string, survivorProfileId: string): string {
  return dedupeKey.split(mergedProfileId).join(survivorProfileId);
}

/** What happens to the merged profile's signals. */
export interface SignalMovePlan {
  /** Ids of signals that move, with their new dedupe key. */
  moved: { id: string; dedupeKey: string }[];
  /** Ids of signals dropped: the survivor already has the same friction (same key). */
  dropped: string[];
}

/**
 * Plans the move of `signals` (the merged profile's) given `taken`, the stored keys among their
 * re-keyed forms.
 */
export function planSignalMove(
  signals: readonly { id: string; dedupeKey: string }[],
  mergedProfileId: string,
  survivorProfileId: string,
  taken: ReadonlySet<string>,
): SignalMovePlan {
  const plan: SignalMovePlan = { moved: [], dropped: [] };
  for (const signal of signals) {
    const dedupeKey = rekeyForSurvivor(signal.dedupeKey, mergedProfileId, survivorProfileId);
    if (dedupeKey !== signal.dedupeKey && taken.has(dedupeKey)) plan.dropped.push(signal.id);
    else plan.moved.push({ id: signal.id, dedupeKey });
  }
  return plan;
}
