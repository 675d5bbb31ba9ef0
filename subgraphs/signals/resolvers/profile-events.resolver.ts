import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Event } from '../entities/event.entity';
import { ProfileEventsArgs } from './profile-events.args';
import { Profile } from './profile.type';
import type { SignalsContext } from './signals.context';

@Resolver(() => Profile)
export class ProfileEventsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [Event], { description: 'Events resolved to this profile, newest first.' })
  events(@Root() profile: Profile, @Args() args: ProfileEventsArgs, @Ctx() ctx: SignalsContext): Promise<Event[]> {
    return ctx.services.events.listForProfile(profile.id, args);
  }
}
