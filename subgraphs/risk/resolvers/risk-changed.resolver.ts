import { filter, pipe } from '@graphql-yoga/subscription';
import { Arg, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';

import { hasScope } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import { RISK_CHANGED, type RiskChangedEvent } from '../../common/pubsub';
import { RequireScope } from '../../common/require-scope';
import { matchesRiskChange } from '../domain/risk-changed-filter';
import { RiskBucket } from '../entities/risk-score.entity';
import { RiskChange, RiskChangedFilter } from './risk-change.type';
import type { RiskContext } from './risk.context';

@Resolver()
export class RiskChangedResolver {
  @RequireScope('risk:subscribe')
  @Subscription(() => RiskChange, {
    description: 'Risk changes of your tenant as they happen, fanned out across instances through Redis.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, { filter?: RiskChangedFilter }, RiskContext>) => {
      // refuse at subscribe time rather than on every event
      if (!hasScope(context.auth.scopes, 'risk:subscribe')) throw new AppError('FORBIDDEN', 'missing scope risk:subscribe');
      return pipe(
        context.pubSub.subscribe(RISK_CHANGED, context.tenantId),
        filter((event: RiskChangedEvent) => event.tenantId === context.tenantId && matchesRiskChange(event, args.filter)),
      );
    },
  })
  riskChanged(
    @Root() event: RiskChangedEvent,
    @Arg('filter', () => RiskChangedFilter, { nullable: true }) _filter?: RiskChangedFilter,
  ): RiskChange {
    return {
      profile: { id: event.profileId },
      scoreId: event.scoreId,
      kind: event.kind,
      score: event.score,
      previousScore: event.previousScore,
      bucket: event.bucket as RiskBucket,
      previousBucket: event.previousBucket as RiskBucket | null,
      crossing: event.crossing,
      scoredAt: new Date(event.scoredAt),
      churn: event.kind === 'churn' ? event.probability : null,
      pAlive: event.pAlive,
      clv: event.clv,
      revenueAtRisk: event.revenueAtRisk,
      journeyInstanceId: event.journeyInstanceId,
      reasons: event.reasons,
      model: event.model,
    };
  }
}
