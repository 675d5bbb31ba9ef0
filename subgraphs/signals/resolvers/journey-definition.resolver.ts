import { Arg, Args, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyIdArgs, UpdateJourneyArgs } from './journey.args';
import { CreateJourneyInput } from './journey.input';
import type { SignalsContext } from './signals.context';

@Resolver(() => JourneyDefinition)
export class JourneyDefinitionResolver {
  @RequireScope('profiles:read')
  @Query(() => [JourneyDefinition], { description: 'Every journey definition of your tenant, by name.' })
  journeyDefinitions(@Ctx() ctx: SignalsContext): Promise<JourneyDefinition[]> {
    return ctx.services.journeys.listDefinitions();
  }

  @RequireScope('profiles:read')
  @Query(() => JourneyDefinition, { nullable: true, description: 'A journey definition of your tenant, or null.' })
  journeyDefinition(@Args() { id }: JourneyIdArgs, @Ctx() ctx: SignalsContext): Promise<JourneyDefinition | null> {
    return ctx.services.journeys.definition(id);
  }

  @RequireScope('admin')
  @Mutation(() => JourneyDefinition, { description: 'Defines a journey; instances start with the next matching first-step events.' })
  createJourney(@Arg('input', () => CreateJourneyInput) input: CreateJourneyInput, @Ctx() ctx: SignalsContext): Promise<JourneyDefinition> {
    return ctx.services.journeys.createDefinition(input);
  }

  @RequireScope('admin')
  @Mutation(() => JourneyDefinition, { description: 'Changes a journey definition; new steps apply to events from now on.' })
  updateJourney(@Args() { id, input }: UpdateJourneyArgs, @Ctx() ctx: SignalsContext): Promise<JourneyDefinition> {
    return ctx.services.journeys.updateDefinition(id, input);
  }

  @RequireScope('admin')
  @Mutation(() => ID, { description: 'Deletes a journey definition and its instances (recorded signals stay); returns its id.' })
  deleteJourney(@Args() { id }: JourneyIdArgs, @Ctx() ctx: SignalsContext): Promise<string> {
    return ctx.services.journeys.deleteDefinition(id);
  }
}
