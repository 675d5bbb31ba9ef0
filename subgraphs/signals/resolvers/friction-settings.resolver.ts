import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { FrictionSettingsView, UpdateFrictionSettingsInput } from './friction-settings.type';
import type { SignalsContext } from './signals.context';

@Resolver()
export class FrictionSettingsResolver {
  @RequireScope('admin')
  @Query(() => FrictionSettingsView, { description: 'Thresholds and event names of the friction detectors for your tenant.' })
  frictionSettings(@Ctx() ctx: SignalsContext): Promise<FrictionSettingsView> {
    return ctx.services.frictionSettings.get();
  }

  @RequireScope('admin')
  @Mutation(() => FrictionSettingsView, { description: 'Replaces your tenant’s overrides of the friction detectors’ defaults.' })
  updateFrictionSettings(@Arg('input', () => UpdateFrictionSettingsInput) input: UpdateFrictionSettingsInput, @Ctx() ctx: SignalsContext): Promise<FrictionSettingsView> {
    return ctx.services.frictionSettings.update(input.overrides);
  }
}
