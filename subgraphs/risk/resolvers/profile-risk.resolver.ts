import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { Profile } from './profile.type';
import { RequireScope } from '../../common/require-scope';
import { RiskScore } from '../entities/risk-score.entity';
import { ProfileRiskArgs, ProfileRiskHistoryArgs } from './profile-risk.args';
import type { RiskContext } from './risk.context';

@Resolver(() => Profile)
export class ProfileRiskResolver {
  @RequireScope('risk:read')
  @FieldResolver(() => RiskScore, { nullable: true, description: 'The latest score of this kind, or null before the first.' })
  risk(@Root() profile: Profile, @Args() { kind }: ProfileRiskArgs, @Ctx() ctx: RiskContext): Promise<RiskScore | null> {
    return ctx.services.risk.latestFor(profile.id, kind);
  }

  @RequireScope('risk:read')
  @FieldResolver(() => [RiskScore], { description: 'Scores of this kind, newest first.' })
  riskHistory(@Root() profile: Profile, @Args() args: ProfileRiskHistoryArgs, @Ctx() ctx: RiskContext): Promise<RiskScore[]> {
    return ctx.services.risk.historyFor(profile.id, args);
  }
}
