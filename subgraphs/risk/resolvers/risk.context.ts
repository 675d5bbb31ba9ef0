import type { FsPubSub } from '../../common/pubsub';
import type { RequestContext } from '../../common/request-context';
import type { BaseKpisService } from '../services/base-kpis.service';
import type { ModelService } from '../services/model.service';
import type { RiskService } from '../services/risk.service';

export interface RiskContext extends RequestContext {
  services: { risk: RiskService; models: ModelService; kpis: BaseKpisService };
  pubSub: FsPubSub;
  /** `config.risk.minClassExamples`: activation refuses classifiers trained on fewer. */
  minClassExamples: number;
}
