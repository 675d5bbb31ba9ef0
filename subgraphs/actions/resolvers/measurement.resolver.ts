import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { MeasurementSettingsInput } from './measurement.input';
import { MeasurementSettingsType, measurementSettingsOf } from './measurement.type';

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
}
