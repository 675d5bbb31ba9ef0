import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { ProfileJourneysArgs } from './journey.args';
import { Profile } from './profile.type';
import type { SignalsContext } from './signals.context';

@Resolver(() => Profile)
export class ProfileJourneysResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [JourneyInstance], { description: 'Journeys of this customer (every instance), most recently started first.' })
  journeys(@Root() profile: Profile, @Args() { first }: ProfileJourneysArgs, @Ctx() ctx: SignalsContext): Promise<JourneyInstance[]> {
    return ctx.services.journeys.listForProfile(profile.id, first);
  }
}
