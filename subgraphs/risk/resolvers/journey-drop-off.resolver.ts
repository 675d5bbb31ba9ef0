import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { RiskScore } from '../entities/risk-score.entity';
import { JourneyInstance } from './journey-instance.type';
import type { RiskContext } from './risk.context';

@Resolver(() => JourneyInstance)
export class JourneyDropOffResolver {
  @RequireScope('risk:read')
  @FieldResolver(() => RiskScore, {
    nullable: true,
    description: 'Probability this open journey is abandoned rather than completed (kind `drop_off`), with its reasons; null before the first score.',
  })
  async dropOffRisk(@Root() instance: JourneyInstance, @Ctx() ctx: RiskContext): Promise<RiskScore | null> {
    return (await ctx.services.risk.latestDropOff([instance.id])).get(instance.id) ?? null;
  }
}
