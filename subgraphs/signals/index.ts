// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { SIGNALS_ENTITIES } from './entities';
import { segmentApiRouter } from './http/segment-api.router';
import { SIGNALS_MIGRATIONS } from './migrations';
import { IngestResolver } from './resolvers/ingest.resolver';
import { ProfileEventsResolver } from './resolvers/profile-events.resolver';
import { ProfileSignalsResolver } from './resolvers/profile-signals.resolver';
import type { SignalsContext } from './resolvers/signals.context';
import { EventService } from './services/event.service';
import { ingestGuardFor } from './services/ingest-guard.service';
import { IngestService } from './services/ingest.service';
import { SignalService } from './services/signal.service';
import { startEventResolvedWorker } from './workers/event-resolved.worker';
import { startSweepEventsWorker } from './workers/sweep-events.worker';

export const signalsSubgraph: SubgraphDefinition<SignalsContext> = {
  name: 'signals',
  orm: { name: 'signals', entities: SIGNALS_ENTITIES, migrations: SIGNALS_MIGRATIONS, migrationsDir: 'subgraphs/signals/migrations' },
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ProfileSignalsResolver, ProfileEventsResolver, IngestResolver],
      referenceResolvers: profileReferenceResolver,
      entityTypes: [Profile],
    }),
  createContext: (deps, auth, requestId) => {
    const em = deps.orm.em.fork();
    return {
      auth,
      tenantId: auth.tenantId,
      requestId,
      services: {
        signals: new SignalService(em, auth.tenantId),
        events: new EventService(em, auth.tenantId),
        ingest: new IngestService(em, auth, deps, ingestGuardFor(deps)),
      },
    };
  },
  startWorkers: async (deps) => {
    startEventResolvedWorker(deps);
    await startSweepEventsWorker(deps);
  },
  // the Segment tracking API, forwarded here by the gateway
  http: (app, deps) => void app.use('/v1', segmentApiRouter(deps)),
};

if (require.main === module) runSubgraphMain(signalsSubgraph);
