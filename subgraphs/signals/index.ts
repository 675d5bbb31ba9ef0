// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { SIGNALS_ENTITIES } from './entities';
import { SIGNALS_MIGRATIONS } from './migrations';
import { ProfileSignalsResolver } from './resolvers/profile-signals.resolver';
import type { SignalsContext } from './resolvers/signals.context';
import { SignalService } from './services/signal.service';

export const signalsSubgraph: SubgraphDefinition<SignalsContext> = {
  name: 'signals',
  orm: { name: 'signals', entities: SIGNALS_ENTITIES, migrations: SIGNALS_MIGRATIONS, migrationsDir: 'subgraphs/signals/migrations' },
  buildSchema: () =>
    buildFederatedSchema({ resolvers: [ProfileSignalsResolver], referenceResolvers: profileReferenceResolver, entityTypes: [Profile] }),
  createContext: (deps, auth, requestId) => {
    const em = deps.orm.em.fork();
    return { auth, tenantId: auth.tenantId, requestId, services: { signals: new SignalService(em, auth.tenantId) } };
  },
};

if (require.main === module) runSubgraphMain(signalsSubgraph);
