import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { MeasurementSettingsInput, PlaybookImpactArgs } from './measurement.input';
import { MeasurementSettingsType, PlaybookImpact, measurementSettingsOf, playbookImpactOf } from './measurement.type';

@Resolver()
export class MeasurementResolver {
  @RequireScope('admin')
  @Query(() => MeasurementSettingsType, { description: 'Your tenant’s global control group settings.' })
  async measurementSettings(@Ctx() ctx: ActionsContext): Promise<MeasurementSettingsType> {
    return measurementSettingsOf(await ctx.services.measurement.get());
  }

  @RequireScope('admin')
  @Mutation(() => MeasurementSettingsType, { description: 'Changes the global control group; enrolments from now on use it. Invalid input is BAD_USER_INPUT naming the field.' })
  async updateMeasurementSettings(@Arg('input', () => MeasurementSettingsInput) input: MeasurementSettingsInput, @Ctx() ctx: ActionsContext): Promise<MeasurementSettingsType> {
    return measurementSettingsOf(await ctx.services.measurement.update(input));
  }

  @RequireScope('risk:read')
  @Query(() => PlaybookImpact, {
    description:
      'What a playbook changed against its holdout, for customers assigned in [from, to) — windows closed or still open (both arms alike). Below the minimum sample, status INSUFFICIENT_SAMPLE with the reason instead of numbers.',
  })
  async playbookImpact(@Args() { id, from, to }: PlaybookImpactArgs, @Ctx() ctx: ActionsContext): Promise<PlaybookImpact> {
    return playbookImpactOf(await ctx.services.impact.impact(id, from, to));
  }
}
