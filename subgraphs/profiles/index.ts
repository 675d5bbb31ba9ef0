// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { PROFILES_ENTITIES } from './entities';
import { PROFILES_MIGRATIONS } from './migrations';
import { ProfileResolver } from './resolvers/profile.resolver';
import type { ProfilesContext } from './resolvers/profiles.context';
import { ProfileService } from './services/profile.service';

export const profilesSubgraph: SubgraphDefinition<ProfilesContext> = {
  name: 'profiles',
  orm: { name: 'profiles', entities: PROFILES_ENTITIES, migrations: PROFILES_MIGRATIONS, migrationsDir: 'subgraphs/profiles/migrations' },
  buildSchema: () =>
    buildFederatedSchema({
      resolvers: [ProfileResolver],
      referenceResolvers: {
        Profile: {
          __resolveReference: (ref: { id: string }, ctx: ProfilesContext) => ctx.services.profiles.byId(ref.id),
        },
      },
    }),
  createContext: (deps, auth, requestId) => {
    // one identity map per request
    const em = deps.orm.em.fork();
    return { auth, tenantId: auth.tenantId, requestId, services: { profiles: new ProfileService(em, auth.tenantId) } };
  },
};

if (require.main === module) runSubgraphMain(profilesSubgraph);
