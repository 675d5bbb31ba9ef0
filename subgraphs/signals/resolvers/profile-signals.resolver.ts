import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { Profile } from './profile.type';
import { RequireScope } from '../../common/require-scope';
import { Signal } from '../entities/signal.entity';
import { ProfileSignalsArgs } from './profile-signals.args';
import type { SignalsContext } from './signals.context';

@Resolver(() => Profile)
export class ProfileSignalsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [Signal], { description: 'Friction signals of this profile, newest first.' })
  signals(@Root() profile: Profile, @Args() args: ProfileSignalsArgs, @Ctx() ctx: SignalsContext): Promise<Signal[]> {
    return ctx.services.signals.listFor(profile.id, args);
  }
}
