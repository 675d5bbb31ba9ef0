/**
 * Why a model version is not training yet, as shown in `Model.statusReason` while it waits
 * (null once it starts): QUEUED alone cannot tell a waiting training from a stuck one.
 */

/** The reason of a version waiting for the tenant's other training (one per tenant at a time). */
export function waitingForTrainingReason(holderModelId: string | null): string {
  // the lock may have been released between the refused acquire and this read
  return holderModelId ? `waiting for training ${holderModelId} of this tenant to finish` : 'waiting for another training of this tenant to finish';
}

/** The reason of a version waiting for its data (details in `metrics.waitingForData`). */
export const WAITING_FOR_DATA_REASON = 'waiting for the events sent before the request to reach risk (see metrics.waitingForData)';
