import { fairShareFor, type Lane } from '../../common/fair-share';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { RiskService } from './risk.service';

/**
 * A RiskService for one tenant on the given entity manager (one per request or job). `lane`: the
 * lane of the batch being scored, which its follow-ups keep (default live).
 */
export function riskServiceFor(
  deps: Pick<SubgraphDeps, 'queues' | 'pubSub' | 'config' | 'log' | 'redis'>,
  em: EntityManager,
  tenantId: string,
  lane?: Lane,
): RiskService {
  return new RiskService(em, tenantId, {
    pubSub: deps.pubSub,
    queues: deps.queues,
    changeDelta: deps.config.risk.changeDelta,
    buckets: deps.config.risk.buckets,
    log: deps.log,
    fair: fairShareFor(deps),
    ...(lane && { lane }),
  });
}
