import type { Lane } from '../../common/fair-share';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { RiskService } from './risk.service';

/**
 * A RiskService for one tenant on the given entity manager (one per request or job). With
 * `redis`, follow-up jobs get fair-share priorities in `lane` (default live).
 */
export function riskServiceFor(deps: Pick<SubgraphDeps, 'queues' | 'pubSub' | 'config' | 'log'> & Partial<Pick<SubgraphDeps, 'redis'>>, em: EntityManager, tenantId: string, lane?: Lane): RiskService {
  return new RiskService(em, tenantId, {
    pubSub: deps.pubSub,
    queues: deps.queues,
    changeDelta: deps.config.risk.changeDelta,
    buckets: deps.config.risk.buckets,
    log: deps.log,
    ...(deps.redis && { fairShare: { redis: deps.redis, config: deps.config } }),
    lane,
  });
}
