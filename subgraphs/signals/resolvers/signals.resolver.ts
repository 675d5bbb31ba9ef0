import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Signal } from '../entities/signal.entity';
import type { SignalPage } from '../services/signal.service';
import { Profile } from './profile.type';
import { SignalsArgs } from './signals.args';
import type { SignalsContext } from './signals.context';
import { SignalConnection } from './signal.type';

@Resolver(() => Signal)
export class SignalsResolver {
  @RequireScope('profiles:read')
  @Query(() => SignalConnection, { description: 'Friction signals of your tenant, newest first, a page at a time.' })
  signals(@Args() args: SignalsArgs, @Ctx() ctx: SignalsContext): Promise<SignalPage> {
    return ctx.services.signals.list(args);
  }

  @FieldResolver(() => Profile, { description: 'The profile the signal is about; the gateway fetches its fields from their subgraphs.' })
  profile(@Root() signal: Signal): Profile {
    return { id: signal.profileId };
  }
}
