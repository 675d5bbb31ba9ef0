import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';
import type { JourneyFunnelData } from '../services/journey.service';
import { JourneyFunnelArgs, JourneyIdArgs, JourneysArgs } from './journey.args';
import { JourneyFunnel } from './journey.type';
import { Profile } from './profile.type';
import type { SignalsContext } from './signals.context';

@Resolver(() => JourneyInstance)
export class JourneyResolver {
  @RequireScope('profiles:read')
  @Query(() => JourneyInstance, { nullable: true, description: 'A journey instance of your tenant, or null.' })
  journey(@Args() { id }: JourneyIdArgs, @Ctx() ctx: SignalsContext): Promise<JourneyInstance | null> {
    return ctx.services.journeys.instance(id);
  }

  @RequireScope('profiles:read')
  @Query(() => [JourneyInstance], { description: 'Journey instances of your tenant, most recently started first.' })
  journeys(@Args() args: JourneysArgs, @Ctx() ctx: SignalsContext): Promise<JourneyInstance[]> {
    return ctx.services.journeys.list(args);
  }

  @RequireScope('profiles:read')
  @Query(() => JourneyFunnel, { description: 'The funnel of a journey over the instances started in [from, to).' })
  journeyFunnel(@Args() { definitionId, from, to }: JourneyFunnelArgs, @Ctx() ctx: SignalsContext): Promise<JourneyFunnelData> {
    return ctx.services.journeys.funnel(definitionId, from ?? null, to ?? null);
  }

  @FieldResolver(() => JourneyDefinition)
  definition(@Root() instance: JourneyInstance, @Ctx() ctx: SignalsContext): Promise<JourneyDefinition> {
    return ctx.services.journeys.definitionOf(instance);
  }

  @FieldResolver(() => Profile, { description: 'The customer (fields from the other subgraphs through the gateway).' })
  profile(@Root() instance: JourneyInstance): Profile {
    return { id: instance.profileId };
  }
}
