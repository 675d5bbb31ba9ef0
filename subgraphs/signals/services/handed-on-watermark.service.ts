import { HANDED_ON_MARGIN_MS, HandedOnWatermark } from '../../common/handed-on-watermark';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventBacklogRepository, oldestNotHandedOn } from '../entities/event-backlog.repository';

/**
 * Publishes the handed-on watermark (`HandedOnWatermark`) from the events table: for one tenant
 * after its batch (the oldest pending receipt, `oldestNotHandedOn`), or for every tenant at the
 * sweeper's tick (grouped queries with counts). A tenant with nothing pending is handed on up to
 * the read's start, less `HANDED_ON_MARGIN_MS`. Returns, for the sweeper's read, each pending
 * tenant's count of events not yet handed on (it reconciles the admission counters with it,
 * `InFlightEvents.reconcile`); empty for one tenant's refresh.
 */
export async function publishHandedOnWatermark(
  em: EntityManager,
  deps: Pick<SubgraphDeps, 'redis' | 'config'>,
  tenantId: string | null,
  now: number = Date.now(),
): Promise<Map<string, number>> {
  const caughtUpTo = now - HANDED_ON_MARGIN_MS;
  const watermark = new HandedOnWatermark(deps.redis, deps.config.queuePrefix);
  if (tenantId !== null) {
    // after a batch: only the oldest matters (two index probes, no count)
    const oldest = await oldestNotHandedOn(em, tenantId);
    await watermark.raise(tenantId, oldest ? Math.min(oldest.getTime(), caughtUpTo) : caughtUpTo);
    return new Map();
  }
  const read = await new EventBacklogRepository(em).notHandedOn(null);
  const pending = new Map([...read].map(([tenant, { oldest }]) => [tenant, oldest]));
  const counts = new Map([...read].map(([tenant, { count }]) => [tenant, count]));
  const since = new Map([...pending].map(([tenant, at]) => [tenant, Math.min(at.getTime(), caughtUpTo)]));
  await watermark.publishSweep(caughtUpTo, since);
  return counts;
}
