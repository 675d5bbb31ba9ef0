import { HANDED_ON_MARGIN_MS, HandedOnWatermark } from '../../common/handed-on-watermark';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventBacklogRepository } from '../entities/event-backlog.repository';

/**
 * Publishes the handed-on watermark (`HandedOnWatermark`) from the events table: for one tenant
 * after its event-resolved batch, or for every tenant at the sweeper's tick. One grouped query.
 * A tenant with nothing pending is handed on up to the read's start, less `HANDED_ON_MARGIN_MS`.
 * Returns each pending tenant's count of events not yet handed on (the sweeper reconciles the
 * admission counters with it, `InFlightEvents.reconcile`).
 */
export async function publishHandedOnWatermark(
  em: EntityManager,
  deps: Pick<SubgraphDeps, 'redis' | 'config'>,
  tenantId: string | null,
  now: number = Date.now(),
): Promise<Map<string, number>> {
  const caughtUpTo = now - HANDED_ON_MARGIN_MS;
  const read = await new EventBacklogRepository(em).notHandedOn(tenantId);
  const pending = new Map([...read].map(([tenant, { oldest }]) => [tenant, oldest]));
  const counts = new Map([...read].map(([tenant, { count }]) => [tenant, count]));
  const watermark = new HandedOnWatermark(deps.redis, deps.config.queuePrefix);
  if (tenantId === null) {
    const since = new Map([...pending].map(([tenant, at]) => [tenant, Math.min(at.getTime(), caughtUpTo)]));
    await watermark.publishSweep(caughtUpTo, since);
    return counts;
  }
  const oldest = pending.get(tenantId);
  await watermark.raise(tenantId, oldest ? Math.min(oldest.getTime(), caughtUpTo) : caughtUpTo);
  return counts;
}
