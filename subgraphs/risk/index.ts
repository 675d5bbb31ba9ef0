// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { RISK_ENTITIES } from './entities';
import { RISK_MIGRATIONS } from './migrations';
import { ProfileRiskResolver } from './resolvers/profile-risk.resolver';
import { RiskChangedResolver } from './resolvers/risk-changed.resolver';
import type { RiskContext } from './resolvers/risk.context';
import { RiskService } from './services/risk.service';

export const riskSubgraph: SubgraphDefinition<RiskContext> = {
  name: 'risk',
  orm: { name: 'risk', entities: RISK_ENTITIES, migrations: RISK_MIGRATIONS, migrationsDir: 'subgraphs/risk/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [ProfileRiskResolver, RiskChangedResolver],
      referenceResolvers: profileReferenceResolver,
      entityTypes: [Profile],
      pubSub,
    }),
  createContext: (deps, auth, requestId) => ({
    auth,
    tenantId: auth.tenantId,
    requestId,
    pubSub: deps.pubSub,
    services: { risk: createRiskService(deps, auth.tenantId) },
  }),
};

/** A RiskService on a fresh entity manager: one per request or job. */
export function createRiskService(deps: Parameters<SubgraphDefinition<RiskContext>['createContext']>[0], tenantId: string): RiskService {
  return new RiskService(deps.orm.em.fork(), tenantId, {
    pubSub: deps.pubSub,
    queues: deps.queues,
    changeDelta: deps.config.risk.changeDelta,
    log: deps.log,
  });
}

if (require.main === module) runSubgraphMain(riskSubgraph);
