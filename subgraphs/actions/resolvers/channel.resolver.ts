import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { ChannelIdArgs, CreateChannelInput, UpdateChannelInput } from './channel.input';
import { ChannelType, channelOf } from './channel.type';

@Resolver(() => ChannelType)
export class ChannelResolver {
  @RequireScope('admin')
  @Query(() => [ChannelType], { description: 'Your tenant’s outbound channels, by name.' })
  async channels(@Ctx() ctx: ActionsContext): Promise<ChannelType[]> {
    return (await ctx.services.channels.list()).map((c) => channelOf(c));
  }

  @RequireScope('admin')
  @Mutation(() => ChannelType, { description: 'Creates a channel. Invalid input is BAD_USER_INPUT naming each field; a taken name is CONFLICT.' })
  async createChannel(@Arg('input', () => CreateChannelInput) input: CreateChannelInput, @Ctx() ctx: ActionsContext): Promise<ChannelType> {
    return channelOf(await ctx.services.channels.create(input));
  }

  @RequireScope('admin')
  @Mutation(() => ChannelType, { description: 'Renames a channel or replaces its settings.' })
  async updateChannel(@Args() { id }: ChannelIdArgs, @Arg('input', () => UpdateChannelInput) input: UpdateChannelInput, @Ctx() ctx: ActionsContext): Promise<ChannelType> {
    return channelOf(await ctx.services.channels.update(id, input));
  }

  @RequireScope('admin')
  @Mutation(() => ChannelType, {
    description: 'Makes `secret` the channel’s current secret. A webhook keeps signing with the previous one too (two signatures per request) until the overlap period ends.',
  })
  async rotateChannelSecret(@Args() { id }: ChannelIdArgs, @Arg('secret', () => String) secret: string, @Ctx() ctx: ActionsContext): Promise<ChannelType> {
    return channelOf(await ctx.services.channels.rotateSecret(id, secret));
  }

  @RequireScope('admin')
  @Mutation(() => ChannelType, { description: 'Stops sending through a channel. Idempotent.' })
  async disableChannel(@Args() { id }: ChannelIdArgs, @Arg('reason', () => String, { nullable: true }) reason: string | null, @Ctx() ctx: ActionsContext): Promise<ChannelType> {
    return channelOf(await ctx.services.channels.disable(id, reason ?? null));
  }

  @RequireScope('admin')
  @Mutation(() => ChannelType, { description: 'Sends through a channel again and resets its failure count. Idempotent.' })
  async enableChannel(@Args() { id }: ChannelIdArgs, @Ctx() ctx: ActionsContext): Promise<ChannelType> {
    return channelOf(await ctx.services.channels.enable(id));
  }
}
