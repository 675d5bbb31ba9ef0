// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { kpiReportReferenceResolver } from '../common/kpi-period';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { forkForTenant } from '../common/tenant-filter';
import { SIGNALS_ENTITIES } from './entities';
import { segmentApiHandler } from './http/segment-api.handler';
import { SIGNALS_MIGRATIONS } from './migrations';
import { FrictionSettingsResolver } from './resolvers/friction-settings.resolver';
import { IngestResolver } from './resolvers/ingest.resolver';
import { JourneyDefinitionResolver } from './resolvers/journey-definition.resolver';
import { JourneyResolver } from './resolvers/journey.resolver';
import { KpiNpsResolver } from './resolvers/kpi-nps.resolver';
import { KpiReport } from './resolvers/kpi-report.type';
import { PipelineStatusResolver } from './resolvers/pipeline-status.resolver';
import { ProfileEventsResolver } from './resolvers/profile-events.resolver';
import { ProfileJourneysResolver } from './resolvers/profile-journeys.resolver';
import { ProfileSignalsResolver } from './resolvers/profile-signals.resolver';
import { SignalDetectedResolver } from './resolvers/signal-detected.resolver';
import type { SignalsContext } from './resolvers/signals.context';
import { SignalsResolver } from './resolvers/signals.resolver';
import { EventService } from './services/event.service';
import { FrictionSettingsService } from './services/friction-settings.service';
import { ingestGuardFor } from './services/ingest-guard.service';
import { IngestService } from './services/ingest.service';
import { JourneyService } from './services/journey.service';
import { NpsKpisService } from './services/nps-kpis.service';
import { PipelineStatusService } from './services/pipeline-status.service';
import { SignalService } from './services/signal.service';
import { startActivityRecordedWorker } from './workers/activity-recorded.worker';
import { signalFollowUps, startDetectFrictionWorker } from './workers/detect-friction.worker';
import { startEventResolvedWorker } from './workers/event-resolved.worker';
import { startJourneyAlertsDoneWorker } from './workers/journey-alerts-done.worker';
import { startPlaybookEventsDoneWorker } from './workers/playbook-events-done.worker';
import { startProfileMergedWorker } from './workers/profile-merged.worker';
import { startSignalAlertsDoneWorker } from './workers/signal-alerts-done.worker';
import { startSweepEventsWorker } from './workers/sweep-events.worker';
import { startSweepFrictionWorker } from './workers/sweep-friction.worker';

export const signalsSubgraph: SubgraphDefinition<SignalsContext> = {
  name: 'signals',
  orm: { name: 'signals', entities: SIGNALS_ENTITIES, migrations: SIGNALS_MIGRATIONS, migrationsDir: 'subgraphs/signals/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [ProfileSignalsResolver, SignalsResolver, SignalDetectedResolver, FrictionSettingsResolver, ProfileEventsResolver, IngestResolver, JourneyDefinitionResolver, JourneyResolver, ProfileJourneysResolver, PipelineStatusResolver, KpiNpsResolver],
      referenceResolvers: {
        ...profileReferenceResolver,
        ...kpiReportReferenceResolver,
        JourneyInstance: {
          __resolveReference: (ref: { id: string }, ctx: SignalsContext) => ctx.services.journeys.instance(ref.id),
        },
      },
      entityTypes: [Profile, KpiReport],
      pubSub,
    }),
  createContext: (deps, auth, requestId) => {
    const em = forkForTenant(deps.orm, auth.tenantId);
    return {
      auth,
      tenantId: auth.tenantId,
      requestId,
      pubSub: deps.pubSub,
      services: {
        signals: new SignalService(em, auth.tenantId, signalFollowUps(deps)),
        frictionSettings: new FrictionSettingsService(em, auth.tenantId),
        events: new EventService(em, auth.tenantId),
        ingest: new IngestService(em, auth, deps, ingestGuardFor(deps)),
        journeys: new JourneyService(em, auth.tenantId),
        pipeline: new PipelineStatusService(em, deps),
        nps: new NpsKpisService(em, auth.tenantId, deps.config.kpis),
      },
    };
  },
  startWorkers: async (deps) => {
    startEventResolvedWorker(deps);
    startActivityRecordedWorker(deps);
    startDetectFrictionWorker(deps);
    startProfileMergedWorker(deps);
    startSignalAlertsDoneWorker(deps);
    startJourneyAlertsDoneWorker(deps);
    startPlaybookEventsDoneWorker(deps);
    await startSweepFrictionWorker(deps);
    await startSweepEventsWorker(deps);
  },
  // the Segment tracking API, forwarded here by the gateway
  httpHandler: (deps) => segmentApiHandler(deps),
};

if (require.main === module) runSubgraphMain(signalsSubgraph);
