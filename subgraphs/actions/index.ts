// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { buildFederatedSchema } from '../common/build-subgraph-schema';
import { kpiReportReferenceResolver } from '../common/kpi-period';
import { profileReferenceResolver } from '../common/profile-reference';
import { Profile } from './resolvers/profile.type';
import { runSubgraphMain, type SubgraphDefinition } from '../common/run-subgraph';
import { forkForTenant } from '../common/tenant-filter';
import { ACTIONS_ENTITIES } from './entities';
import { ACTIONS_MIGRATIONS } from './migrations';
import { deliveryStatusHandler } from './http/delivery-status.handler';
import type { ActionsContext } from './resolvers/actions.context';
import { AlertRaisedResolver } from './resolvers/alert-raised.resolver';
import { AlertRuleResolver } from './resolvers/alert-rule.resolver';
import { AlertResolver, ProfileAlertsResolver } from './resolvers/alert.resolver';
import { ChannelResolver } from './resolvers/channel.resolver';
import { ContactPolicyResolver } from './resolvers/contact-policy.resolver';
import { ContactPolicyService } from './services/contact-policy.service';
import { WebhookDeliveryResolver } from './resolvers/webhook-delivery.resolver';
import { AlertRuleService } from './services/alert-rule.service';
import { AlertService } from './services/alert.service';
import { ChannelService } from './services/channel.service';
import { SecretBox } from './services/channels/secret-box';
import { WebhookDeliveryService } from './services/webhook-delivery.service';
import { startDeliverWebhookWorker } from './workers/deliver-webhook.worker';
import { startSweepDeliveriesWorker } from './workers/sweep-deliveries.worker';
import { DeliveryLedgerService } from './services/delivery-ledger.service';
import { ReplaySendService } from './services/replay-send.service';
import { MeasurementSettingsService } from './services/measurement-settings.service';
import { PlaybookImpactService } from './services/playbook-impact.service';
import { KpiActionsResolver } from './resolvers/kpi-actions.resolver';
import { KpiReport } from './resolvers/kpi-report.type';
import { MeasurementResolver } from './resolvers/measurement.resolver';
import { ExperimentResolver, PlaybookExperimentsResolver } from './resolvers/experiment.resolver';
import { ExperimentService } from './services/experiment.service';
import { PlaybookRunService } from './services/playbook-runs.service';
import { PlaybookService } from './services/playbook.service';
import { TaskService } from './services/task.service';
import { TriggerActionService } from './services/trigger-action.service';
import { ActionKpisService } from './services/action-kpis.service';
import { TriggerActionResolver } from './resolvers/trigger-action.resolver';
import { TaskAssignedResolver } from './resolvers/task-assigned.resolver';
import { PlaybookResolver, PlaybookRunResolver, ProfileActionsResolver, StepDeliveryResolver, TaskResolver } from './resolvers/playbook.resolver';
import { ESCALATE_TASK, PLAYBOOK_STEP } from '../common/queues';
import { startEscalateTaskWorker } from './workers/escalate-task.worker';
import { startProfileMergedWorker } from './workers/profile-merged.worker';
import { defaultPlaybookCollaborators, type PlaybookCollaborators } from './services/playbook-collaborators';
import { startPlaybookEventsWorker } from './workers/playbook-events.worker';
import { startPlaybookStepWorker } from './workers/playbook-step.worker';
import { startRaiseAlertsWorker } from './workers/raise-alerts.worker';
import { startRaiseJourneyAlertsWorker } from './workers/raise-journey-alerts.worker';
import { startRaiseSignalAlertsWorker } from './workers/raise-signal-alerts.worker';
import { startRecordMessageOutcomeWorker } from './workers/record-message-outcome.worker';
import { startReplaySendWorker } from './workers/replay-send.worker';
import { startSegmentMembershipChangedWorker } from './workers/segment-membership-changed.worker';
import { startReconcileRunsWorker } from './workers/reconcile-runs.worker';

/** What differs between production and a test run of the subgraph. */
export interface ActionsOptions {
  /** Channels, traits and the clock of the playbook engine. Default: the production ones. */
  collaborators?: PlaybookCollaborators;
  /** How often the run reconciler looks for due steps without a job, ms. Default 5000. */
  reconcileIntervalMs?: number;
}

/** The actions subgraph with its playbook engine's collaborators. */
export function createActionsSubgraph(options: ActionsOptions = {}): SubgraphDefinition<ActionsContext> {
  // the production channels need the running subgraph's database and secret: built at start
  const now = options.collaborators?.now ?? (() => new Date());
  return {
  name: 'actions',
  orm: { name: 'actions', entities: ACTIONS_ENTITIES, migrations: ACTIONS_MIGRATIONS, migrationsDir: 'subgraphs/actions/migrations' },
  buildSchema: ({ pubSub }) =>
    buildFederatedSchema({
      resolvers: [
        AlertResolver,
        ProfileAlertsResolver,
        AlertRuleResolver,
        AlertRaisedResolver,
        ChannelResolver,
        ContactPolicyResolver,
        WebhookDeliveryResolver,
        PlaybookResolver,
        PlaybookExperimentsResolver,
        ExperimentResolver,
        PlaybookRunResolver,
        TaskResolver,
        StepDeliveryResolver,
        ProfileActionsResolver,
        MeasurementResolver,
        TriggerActionResolver,
        TaskAssignedResolver,
        KpiActionsResolver,
      ],
      referenceResolvers: { ...profileReferenceResolver, ...kpiReportReferenceResolver },
      entityTypes: [Profile, KpiReport],
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
        contactPolicies: new ContactPolicyService(em, auth.tenantId, now),
        deliveries: new WebhookDeliveryService(em, auth.tenantId, deps.queues),
        playbooks: new PlaybookService(em, auth.tenantId),
        runs: new PlaybookRunService(em, auth.tenantId, now),
        tasks: new TaskService(em, auth.tenantId, now, deps.queues.get(ESCALATE_TASK), deps.pubSub),
        ledger: new DeliveryLedgerService(em, auth.tenantId),
        replays: new ReplaySendService(em, auth.tenantId, deps.queues, now),
        measurement: new MeasurementSettingsService(em, auth.tenantId, now),
        impact: new PlaybookImpactService(em, auth.tenantId, now),
        experiments: new ExperimentService(em, auth.tenantId),
        actions: new TriggerActionService(em, auth.tenantId, now),
        kpis: new ActionKpisService(em, auth.tenantId),
      },
      stepQueue: deps.queues.get(PLAYBOOK_STEP),
    };
  },
  httpHandler: (deps) => deliveryStatusHandler(deps, secretBoxOf(deps.config.secret), now),
  startWorkers: async (deps) => {
    startRaiseAlertsWorker(deps);
    startRaiseSignalAlertsWorker(deps);
    startRaiseJourneyAlertsWorker(deps);
    startSegmentMembershipChangedWorker(deps);
    startProfileMergedWorker(deps);
    startDeliverWebhookWorker(deps);
    await startSweepDeliveriesWorker(deps);
    const collaborators = options.collaborators ?? defaultPlaybookCollaborators(deps);
    startPlaybookStepWorker(deps, collaborators);
    startReplaySendWorker(deps, collaborators);
    startPlaybookEventsWorker(deps, collaborators.now);
    startEscalateTaskWorker(deps, collaborators.now);
    startRecordMessageOutcomeWorker(deps);
    await startReconcileRunsWorker(deps, collaborators.now, options.reconcileIntervalMs);
  },
  };
}

export const actionsSubgraph = createActionsSubgraph();

const secretBoxes = new Map<string, SecretBox>();
/** One SecretBox per platform secret (its HKDF runs once per process, not once per request). */
function secretBoxOf(secret: string): SecretBox {
  let box = secretBoxes.get(secret);
  if (!box) secretBoxes.set(secret, (box = new SecretBox(secret)));
  return box;
}

if (require.main === module) runSubgraphMain(actionsSubgraph);
