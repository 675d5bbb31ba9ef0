import { Arg, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { Experiment, experimentOf } from './experiment.type';
import { Playbook } from './playbook.type';

@Resolver()
export class ExperimentResolver {
  @RequireScope('risk:read')
  @Query(() => Experiment, {
    description:
      'One experiment step with its results for the customers assigned in [from, to) (default: all): arms, comparisons with control, the SRM check, the sequential test and the automatic winner (those two always over every assignment). NOT_FOUND for an unknown id (or another tenant’s).',
  })
  async experiment(
    @Arg('id', () => ID) id: string,
    @Ctx() ctx: ActionsContext,
    @Arg('from', () => Date, { nullable: true, description: 'Customers assigned from this time on (default: the beginning).' }) from?: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Customers assigned before this time (default: all).' }) to?: Date | null,
  ): Promise<Experiment> {
    return experimentOf(await ctx.services.experiments.report(id, from, to));
  }

  @RequireScope('risk:read')
  @Query(() => [Experiment], { description: 'The experiment steps of a playbook (every version’s), in the order they were first defined, with their results.' })
  async experiments(@Arg('playbookId', () => ID) playbookId: string, @Ctx() ctx: ActionsContext): Promise<Experiment[]> {
    return (await ctx.services.experiments.ofPlaybook(playbookId)).map(experimentOf);
  }
}

@Resolver(() => Playbook)
export class PlaybookExperimentsResolver {
  @FieldResolver(() => [Experiment], { description: 'The playbook’s experiment steps with their results (as `experiments(playbookId)`).' })
  async experiments(@Root() playbook: Playbook, @Ctx() ctx: ActionsContext): Promise<Experiment[]> {
    return (await ctx.services.experiments.ofPlaybook(playbook.id)).map(experimentOf);
  }
}
