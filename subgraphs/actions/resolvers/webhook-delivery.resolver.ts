import { Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { WebhookDeliveriesArgs, WebhookDeliveryIdArgs, WebhookDeliveryType, webhookDeliveryOf } from './webhook-delivery.type';

@Resolver(() => WebhookDeliveryType)
export class WebhookDeliveryResolver {
  @RequireScope('actions:write')
  @Query(() => [WebhookDeliveryType], { description: 'Webhook deliveries, newest first; `status: DEAD` lists the dead letters.' })
  async webhookDeliveries(@Args() { status, channelId, first, after }: WebhookDeliveriesArgs, @Ctx() ctx: ActionsContext): Promise<WebhookDeliveryType[]> {
    return (await ctx.services.deliveries.list({ status, channelId }, first, after ?? null)).map(webhookDeliveryOf);
  }

  @RequireScope('actions:write')
  @Mutation(() => WebhookDeliveryType, { description: 'Starts a dead delivery over (the retry schedule from the start, the same webhook-id). CONFLICT unless it is dead and its channel enabled.' })
  async replayDelivery(@Args() { id }: WebhookDeliveryIdArgs, @Ctx() ctx: ActionsContext): Promise<WebhookDeliveryType> {
    return webhookDeliveryOf(await ctx.services.deliveries.replay(id));
  }
}
