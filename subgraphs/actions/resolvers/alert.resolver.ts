import { Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';

import { Profile } from './profile.type';
import { RequireScope } from '../../common/require-scope';
import { encodeAlertCursor } from '../domain/alert-cursor';
import { Alert, NO_PROFILE } from '../entities/alert.entity';
import type { ActionsContext } from './actions.context';
import { AcknowledgeAlertArgs, AlertsArgs, AssignAlertArgs, ResolveAlertArgs } from './alert.args';

@Resolver(() => Alert)
export class AlertResolver {
  @RequireScope('profiles:read')
  @Query(() => [Alert], { description: 'Alerts of your tenant, newest first, filtered; page with `after` = the last alert’s `cursor`.' })
  alerts(@Args() { filter, status, first, after }: AlertsArgs, @Ctx() ctx: ActionsContext): Promise<Alert[]> {
    return ctx.services.alerts.list({ ...filter, status: filter?.status ?? status }, first, after);
  }

  @FieldResolver(() => String, { description: 'Opaque position of this alert in `alerts`: pass it as `after` for the next page.' })
  cursor(@Root() alert: Alert): string {
    return encodeAlertCursor(alert.id);
  }

  @FieldResolver(() => Profile, { nullable: true, description: 'The customer it is about; null for an alert about a playbook (`type: "guardrail"`).' })
  profile(@Root() alert: Alert): Profile | null {
    return alert.profileId === NO_PROFILE ? null : { id: alert.profileId };
  }

  @RequireScope('actions:write')
  @Mutation(() => Alert, { description: 'Marks an alert as seen. Idempotent.' })
  acknowledgeAlert(@Args() { id }: AcknowledgeAlertArgs, @Ctx() ctx: ActionsContext): Promise<Alert> {
    return ctx.services.alerts.acknowledge(id);
  }

  @RequireScope('actions:write')
  @Mutation(() => Alert, { description: 'Gives an alert to someone (and optionally to another team). Idempotent for the same assignee.' })
  assignAlert(@Args() { id, assignee, team }: AssignAlertArgs, @Ctx() ctx: ActionsContext): Promise<Alert> {
    return ctx.services.alerts.assign(id, assignee, team);
  }

  @RequireScope('actions:write')
  @Mutation(() => Alert, { description: 'Closes an alert with its outcome. Repeating the same call changes nothing; a different outcome is a CONFLICT.' })
  resolveAlert(@Args() { id, outcome, note }: ResolveAlertArgs, @Ctx() ctx: ActionsContext): Promise<Alert> {
    return ctx.services.alerts.resolve(id, outcome, note);
  }
}

@Resolver(() => Profile)
export class ProfileAlertsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [Alert], { description: 'Alerts raised for this profile, newest first.' })
  alerts(@Root() profile: Profile, @Args() { filter, status, first, after }: AlertsArgs, @Ctx() ctx: ActionsContext): Promise<Alert[]> {
    return ctx.services.alerts.list({ ...filter, status: filter?.status ?? status, profileId: profile.id }, first, after);
  }
}
