// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { fairShareFor } from '../common/fair-share';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { forkForTenant } from '../common/tenant-filter';
import { PROFILES_ENTITIES } from './entities';
import { PROFILES_MIGRATIONS } from './migrations';
import { ProfileResolver } from './resolvers/profile.resolver';
import type { ProfilesContext } from './resolvers/profiles.context';
import { ProfileService } from './services/profile.service';
import { createSegmentService } from './services/segment.service';
import { SegmentMembershipChangedResolver } from './resolvers/segment-membership-changed.resolver';
import { ProfileSegmentsResolver, SegmentMembershipResolver } from './resolvers/segment-membership.resolver';
import { SegmentResolver } from './resolvers/segment.resolver';
import { startEvaluateSegmentPageWorker } from './workers/evaluate-segment-page.worker';
import { startEvaluateSegmentsWorker } from './workers/evaluate-segments.worker';
import { startRecheckSegmentsWorker } from './workers/recheck-segments.worker';
import { startResolveIdentityWorker } from './workers/resolve-identity.worker';
import { startSegmentAlertsDoneWorker } from './workers/segment-alerts-done.worker';
import { startSetComputedTraitsWorker } from './workers/set-computed-traits.worker';
import { startSweepProfilesWorker } from './workers/sweep-profiles.worker';

export const profilesSubgraph: SubgraphDefinition<ProfilesContext> = {
  name: 'profiles',
  orm: { name: 'profiles', entities: PROFILES_ENTITIES, migrations: PROFILES_MIGRATIONS, migrationsDir: 'subgraphs/profiles/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [ProfileResolver, SegmentResolver, SegmentMembershipResolver, ProfileSegmentsResolver, SegmentMembershipChangedResolver],
      pubSub,
      referenceResolvers: {
        Profile: {
          __resolveReference: (ref: { id: string }, ctx: ProfilesContext) => ctx.services.profiles.byId(ref.id),
        },
      },
    }),
  createContext: (deps, auth, requestId) => {
    // one identity map per request
    const em = forkForTenant(deps.orm, auth.tenantId);
    return {
      auth,
      tenantId: auth.tenantId,
      requestId,
      pubSub: deps.pubSub,
      services: {
        profiles: new ProfileService(em, auth.tenantId, { junkValues: deps.config.identity.junkValues, queues: deps.queues, fair: fairShareFor(deps) }),
        segments: createSegmentService(deps, auth.tenantId, em),
      },
    };
  },
  startWorkers: async (deps) => {
    startResolveIdentityWorker(deps);
    startSetComputedTraitsWorker(deps);
    startEvaluateSegmentsWorker(deps);
    startEvaluateSegmentPageWorker(deps);
    startSegmentAlertsDoneWorker(deps);
    await startRecheckSegmentsWorker(deps);
    await startSweepProfilesWorker(deps);
  },
};

if (require.main === module) runSubgraphMain(profilesSubgraph);
