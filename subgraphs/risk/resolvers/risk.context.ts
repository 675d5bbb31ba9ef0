import type { FsPubSub } from '../../common/pubsub';
import type { RequestContext } from '../../common/request-context';
import type { RiskService } from '../services/risk.service';

export interface RiskContext extends RequestContext {
  services: { risk: RiskService };
  pubSub: FsPubSub;
}
