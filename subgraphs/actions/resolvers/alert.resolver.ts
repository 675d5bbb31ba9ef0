import { Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';

import { Profile } from './profile.type';
import { RequireScope } from '../../common/require-scope';
import { Alert } from '../entities/alert.entity';
import type { ActionsContext } from './actions.context';
import { AcknowledgeAlertArgs, AlertsArgs } from './alert.args';

@Resolver(() => Alert)
export class AlertResolver {
  @RequireScope('profiles:read')
  @Query(() => [Alert], { description: 'Alerts of your tenant, newest first.' })
  alerts(@Args() args: AlertsArgs, @Ctx() ctx: ActionsContext): Promise<Alert[]> {
    return ctx.services.alerts.list(args);
  }

  @RequireScope('actions:write')
  @Mutation(() => Alert, { description: 'Marks an alert as seen. Idempotent.' })
  acknowledgeAlert(@Args() { id }: AcknowledgeAlertArgs, @Ctx() ctx: ActionsContext): Promise<Alert> {
    return ctx.services.alerts.acknowledge(id);
  }
}

@Resolver(() => Profile)
export class ProfileAlertsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [Alert], { description: 'Alerts raised for this profile, newest first.' })
  alerts(@Root() profile: Profile, @Args() args: AlertsArgs, @Ctx() ctx: ActionsContext): Promise<Alert[]> {
    return ctx.services.alerts.list({ ...args, profileId: profile.id });
  }
}
