// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { kpiReportReferenceResolver } from '../common/kpi-period';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { forkForTenant } from '../common/tenant-filter';
import { RISK_ENTITIES } from './entities';
import { RISK_MIGRATIONS } from './migrations';
import { ProfileRiskResolver } from './resolvers/profile-risk.resolver';
import { JourneyDropOffResolver } from './resolvers/journey-drop-off.resolver';
import { JourneyInstance } from './resolvers/journey-instance.type';
import { KpisResolver } from './resolvers/kpis.resolver';
import { ModelResolver } from './resolvers/model.resolver';
import { RiskChangedResolver } from './resolvers/risk-changed.resolver';
import type { RiskContext } from './resolvers/risk.context';
import { BaseKpisService } from './services/base-kpis.service';
import { ModelService } from './services/model.service';
import { riskServiceFor } from './services/risk-service-factory';
import type { RiskService } from './services/risk.service';
import { startRecordActivityWorker } from './workers/record-activity.worker';
import { startRescoreProfilesWorker } from './workers/rescore-profiles.worker';
import { startScoreFollowUpsDoneWorker } from './workers/score-follow-ups-done.worker';
import { startScoreProfileWorker } from './workers/score-profile.worker';
import { startSweepScoresWorker } from './workers/sweep-scores.worker';
import { startTrainModelWorker } from './workers/train-model.worker';

export const riskSubgraph: SubgraphDefinition<RiskContext> = {
  name: 'risk',
  orm: { name: 'risk', entities: RISK_ENTITIES, migrations: RISK_MIGRATIONS, migrationsDir: 'subgraphs/risk/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [ProfileRiskResolver, RiskChangedResolver, ModelResolver, JourneyDropOffResolver, KpisResolver],
      referenceResolvers: { ...profileReferenceResolver, ...kpiReportReferenceResolver, JourneyInstance: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) } },
      entityTypes: [Profile, JourneyInstance],
      pubSub,
    }),
  createContext: (deps, auth, requestId) => ({
    auth,
    tenantId: auth.tenantId,
    requestId,
    pubSub: deps.pubSub,
    services: { risk: createRiskService(deps, auth.tenantId), models: new ModelService(forkForTenant(deps.orm, auth.tenantId), auth.tenantId, deps.queues),
      kpis: new BaseKpisService(forkForTenant(deps.orm, auth.tenantId), auth.tenantId),
    },
    minClassExamples: deps.config.risk.minClassExamples,
  }),
  startWorkers: async (deps) => {
    startRecordActivityWorker(deps);
    startScoreProfileWorker(deps);
    startScoreFollowUpsDoneWorker(deps);
    startTrainModelWorker(deps);
    await startRescoreProfilesWorker(deps);
    await startSweepScoresWorker(deps);
  },
};

/** A RiskService on a fresh entity manager: one per request or job. */
export function createRiskService(deps: Parameters<SubgraphDefinition<RiskContext>['createContext']>[0], tenantId: string): RiskService {
  return riskServiceFor(deps, forkForTenant(deps.orm, tenantId), tenantId);
}

if (require.main === module) runSubgraphMain(riskSubgraph);
