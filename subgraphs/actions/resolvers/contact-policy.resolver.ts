import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { ContactPolicyInput } from './contact-policy.input';
import { ContactPolicy, contactPolicyTypeOf } from './contact-policy.type';

@Resolver(() => ContactPolicy)
export class ContactPolicyResolver {
  @RequireScope('admin')
  @Query(() => [ContactPolicy], { description: 'Your tenant’s quiet hours and frequency caps, by channel.' })
  async contactPolicies(@Ctx() ctx: ActionsContext): Promise<ContactPolicy[]> {
    return (await ctx.services.contactPolicies.list()).map(contactPolicyTypeOf);
  }

  @RequireScope('admin')
  @Mutation(() => ContactPolicy, { description: 'Sets a channel’s quiet hours and frequency cap (replacing its policy). Idempotent.' })
  async setContactPolicy(@Arg('input', () => ContactPolicyInput) input: ContactPolicyInput, @Ctx() ctx: ActionsContext): Promise<ContactPolicy> {
    return contactPolicyTypeOf(await ctx.services.contactPolicies.set(input));
  }

  @RequireScope('admin')
  @Mutation(() => Boolean, { description: 'Removes a channel’s policy; false when it had none.' })
  removeContactPolicy(@Arg('channel', () => String) channel: string, @Ctx() ctx: ActionsContext): Promise<boolean> {
    return ctx.services.contactPolicies.remove(channel);
  }
}
