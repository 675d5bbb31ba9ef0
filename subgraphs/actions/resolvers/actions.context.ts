import type { FsPubSub } from '../../common/pubsub';
import type { RequestContext } from '../../common/request-context';
import type { AlertRuleService } from '../services/alert-rule.service';
import type { AlertService } from '../services/alert.service';
import type { ChannelService } from '../services/channel.service';
import type { WebhookDeliveryService } from '../services/webhook-delivery.service';

export interface ActionsContext extends RequestContext {
  pubSub: FsPubSub;
  services: { alerts: AlertService; alertRules: AlertRuleService; channels: ChannelService; deliveries: WebhookDeliveryService };
}
