import type { EntityManager } from '../../common/orm';
import { ModelKind, ModelVersion } from '../entities/model-version.entity';

/** The active versions of one tenant, as scoring needs them (params parsed once). */
export type ActiveModels = Record<ModelKind, ModelVersion | null>;

/**
 * How long a process keeps using the active models it looked up: an activation reaches every
 * scoring worker within this time. Saves three queries and a JSON parse of the parameters per score.
 */
export const ACTIVE_MODELS_TTL_MS = 5_000;

const cache = new Map<string, { at: number; models: Promise<ActiveModels> }>();

/** The tenant's active model of each kind, cached per process for `ACTIVE_MODELS_TTL_MS`. */
export function activeModels(em: EntityManager, tenantId: string, now = Date.now()): Promise<ActiveModels> {
  const hit = cache.get(tenantId);
  if (hit && now - hit.at < ACTIVE_MODELS_TTL_MS) return hit.models;
  const models = em
    .find(ModelVersion, { tenantId, active: true }, { disableIdentityMap: true })
    .then((rows) => {
      const byKind: ActiveModels = { [ModelKind.CHURN]: null, [ModelKind.DROP_OFF]: null, [ModelKind.LIFETIME]: null };
      for (const row of rows) byKind[row.kind] = row;
      return byKind;
    });
  // a failed lookup is not cached
  models.catch(() => cache.delete(tenantId));
  cache.set(tenantId, { at: now, models });
  return models;
}

/** Forgets what this process cached (after an activation here, and in tests). */
export function forgetActiveModels(tenantId?: string): void {
  if (tenantId) cache.delete(tenantId);
  else cache.clear();
}
