import type { Queue } from 'bullmq';

import type { FsPubSub } from '../../common/pubsub';
import type { PlaybookStepJob } from '../../common/queues';
import type { RequestContext } from '../../common/request-context';
import type { ActionKpisService } from '../services/action-kpis.service';
import type { AlertRuleService } from '../services/alert-rule.service';
import type { AlertService } from '../services/alert.service';
import type { ChannelService } from '../services/channel.service';
import type { ContactPolicyService } from '../services/contact-policy.service';
import type { DeliveryLedgerService } from '../services/delivery-ledger.service';
import type { ExperimentService } from '../services/experiment.service';
import type { MeasurementSettingsService } from '../services/measurement-settings.service';
import type { PlaybookImpactService } from '../services/playbook-impact.service';
import type { PlaybookRunService } from '../services/playbook-runs.service';
import type { PlaybookService } from '../services/playbook.service';
import type { ReplaySendService } from '../services/replay-send.service';
import type { TaskService } from '../services/task.service';
import type { TriggerActionService } from '../services/trigger-action.service';
import type { WebhookDeliveryService } from '../services/webhook-delivery.service';

export interface ActionsContext extends RequestContext {
  pubSub: FsPubSub;
  services: {
    alerts: AlertService;
    alertRules: AlertRuleService;
    channels: ChannelService;
    contactPolicies: ContactPolicyService;
    deliveries: WebhookDeliveryService;
    playbooks: PlaybookService;
    runs: PlaybookRunService;
    tasks: TaskService;
    ledger: DeliveryLedgerService;
    replays: ReplaySendService;
    measurement: MeasurementSettingsService;
    impact: PlaybookImpactService;
    experiments: ExperimentService;
    actions: TriggerActionService;
    kpis: ActionKpisService;
  };
  /** Where enrolments queue their first step. */
  stepQueue: Pick<Queue<PlaybookStepJob>, 'addBulk'>;
}
