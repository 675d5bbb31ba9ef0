import { filter, pipe } from '@graphql-yoga/subscription';
import { Args, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';

import { hasScope } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import { ALERT_RAISED, type AlertRaisedEvent } from '../../common/pubsub';
import { RequireScope } from '../../common/require-scope';
import { matchesAlertRaised } from '../domain/alert-raised-filter';
import { Alert, AlertStatus, type AlertSeverity } from '../entities/alert.entity';
import type { ActionsContext } from './actions.context';
import { AlertRaisedArgs } from './alert.args';

@Resolver()
export class AlertRaisedResolver {
  @RequireScope('profiles:read')
  @Subscription(() => Alert, {
    description: 'New alerts of your tenant as rules raise them (each once), filtered by team, least severity and rule; fanned out across instances through Redis.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, AlertRaisedArgs, ActionsContext>) => {
      // refuse at subscribe time rather than on every event
      if (!hasScope(context.auth.scopes, 'profiles:read')) throw new AppError('FORBIDDEN', 'missing scope profiles:read');
      return pipe(
        context.pubSub.subscribe(ALERT_RAISED, context.tenantId),
        filter((event: AlertRaisedEvent) => event.tenantId === context.tenantId && matchesAlertRaised(event, args)),
      );
    },
  })
  alertRaised(@Root() event: AlertRaisedEvent, @Args() _args: AlertRaisedArgs): Alert {
    const created = new Date(event.createdAt);
    return Object.assign(new Alert(), {
      id: event.alertId,
      tenantId: event.tenantId,
      profileId: event.profileId,
      type: event.type,
      score: event.score,
      message: event.message,
      status: AlertStatus.OPEN,
      severity: event.severity as AlertSeverity,
      team: event.team,
      ruleId: event.ruleId,
      ruleVersion: event.ruleVersion,
      scoreId: event.scoreId,
      scoreKind: event.scoreKind,
      triggerId: event.triggerId ?? null,
      previousScore: event.previousScore,
      bucket: event.bucket,
      previousBucket: event.previousBucket,
      reasons: event.reasons,
      createdAt: created,
      updatedAt: created,
    });
  }
}
