// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { forkForTenant } from '../common/tenant-filter';
import { ACTIONS_ENTITIES } from './entities';
import { ACTIONS_MIGRATIONS } from './migrations';
import type { ActionsContext } from './resolvers/actions.context';
import { AlertRaisedResolver } from './resolvers/alert-raised.resolver';
import { AlertRuleResolver } from './resolvers/alert-rule.resolver';
import { AlertResolver, ProfileAlertsResolver } from './resolvers/alert.resolver';
import { ChannelResolver } from './resolvers/channel.resolver';
import { WebhookDeliveryResolver } from './resolvers/webhook-delivery.resolver';
import { AlertRuleService } from './services/alert-rule.service';
import { AlertService } from './services/alert.service';
import { ChannelService } from './services/channel.service';
import { SecretBox } from './services/channels/secret-box';
import { WebhookDeliveryService } from './services/webhook-delivery.service';
import { startProfileMergedWorker } from './workers/profile-merged.worker';
import { startDeliverWebhookWorker } from './workers/deliver-webhook.worker';
import { startRaiseAlertsWorker } from './workers/raise-alerts.worker';
import { startSweepDeliveriesWorker } from './workers/sweep-deliveries.worker';

export const actionsSubgraph: SubgraphDefinition<ActionsContext> = {
  name: 'actions',
  orm: { name: 'actions', entities: ACTIONS_ENTITIES, migrations: ACTIONS_MIGRATIONS, migrationsDir: 'subgraphs/actions/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [AlertResolver, ProfileAlertsResolver, AlertRuleResolver, AlertRaisedResolver, ChannelResolver, WebhookDeliveryResolver],
      referenceResolvers: profileReferenceResolver,
      entityTypes: [Profile],
      pubSub,
    }),
  createContext: (deps, auth, requestId) => {
    // one fork per request, shared by the services of the request
    const em = forkForTenant(deps.orm, auth.tenantId);
    return {
      auth,
      tenantId: auth.tenantId,
      requestId,
      pubSub: deps.pubSub,
      services: {
        alerts: new AlertService(em, auth.tenantId),
        alertRules: new AlertRuleService(em, auth.tenantId),
        channels: new ChannelService(em, auth.tenantId, secretBoxOf(deps.config.secret), deps.config.channels.secretOverlapMs),
        deliveries: new WebhookDeliveryService(em, auth.tenantId, deps.queues),
      },
    };
  },
  startWorkers: async (deps) => {
    startRaiseAlertsWorker(deps);
    startProfileMergedWorker(deps);
    startDeliverWebhookWorker(deps);
    await startSweepDeliveriesWorker(deps);
  },
};

const secretBoxes = new Map<string, SecretBox>();
/** One SecretBox per platform secret (its HKDF runs once per process, not once per request). */
function secretBoxOf(secret: string): SecretBox {
  let box = secretBoxes.get(secret);
  if (!box) secretBoxes.set(secret, (box = new SecretBox(secret)));
  return box;
}

if (require.main === module) runSubgraphMain(actionsSubgraph);
