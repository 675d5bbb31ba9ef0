import { HANDED_ON_MARGIN_MS, HandedOnWatermark } from '../../common/handed-on-watermark';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventBacklogRepository } from '../entities/event-backlog.repository';

/**
 * Publishes the handed-on watermark (`HandedOnWatermark`) from the events table: for one tenant
 * after its event-resolved batch, or for every tenant at the sweeper's tick. One grouped query.
 * A tenant with nothing pending is handed on up to the read's start, less `HANDED_ON_MARGIN_MS`.
 */
export async function publishHandedOnWatermark(
  em: EntityManager,
  deps: Pick<SubgraphDeps, 'redis' | 'config'>,
  tenantId: string | null,
  now: number = Date.now(),
): Promise<void> {
  const caughtUpTo = now - HANDED_ON_MARGIN_MS;
  const pending = await new EventBacklogRepository(em).notHandedOnSince(tenantId);
  const watermark = new HandedOnWatermark(deps.redis, deps.config.queuePrefix);
  if (tenantId === null) {
    const since = new Map([...pending].map(([tenant, at]) => [tenant, Math.min(at.getTime(), caughtUpTo)]));
    await watermark.publishSweep(caughtUpTo, since);
    return;
  }
  const oldest = pending.get(tenantId);
  await watermark.raise(tenantId, oldest ? Math.min(oldest.getTime(), caughtUpTo) : caughtUpTo);
}
