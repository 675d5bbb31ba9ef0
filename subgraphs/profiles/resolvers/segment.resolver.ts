import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Segment } from '../entities/segment.entity';
import type { ProfilesContext } from './profiles.context';
import { SegmentArgs, SegmentMembersArgs, UpdateSegmentArgs } from './segment.args';
import { CreateSegmentInput } from './segment.input';
import { SegmentMemberConnection } from './segment.type';
import type { SegmentMembersPage } from '../services/segment.service';

@Resolver(() => Segment)
export class SegmentResolver {
  @RequireScope('profiles:read')
  @Query(() => Segment, { nullable: true, description: 'A segment of your tenant, or null.' })
  segment(@Args() { id }: SegmentArgs, @Ctx() ctx: ProfilesContext): Promise<Segment | null> {
    return ctx.services.segments.byId(id);
  }

  @RequireScope('profiles:read')
  @Query(() => [Segment], { description: 'Every segment of your tenant, by name.' })
  segments(@Ctx() ctx: ProfilesContext): Promise<Segment[]> {
    return ctx.services.segments.list();
  }

  @RequireScope('profiles:read')
  @Query(() => SegmentMemberConnection, { description: 'Current members of a segment, oldest entry first.' })
  segmentMembers(@Args() args: SegmentMembersArgs, @Ctx() ctx: ProfilesContext): Promise<SegmentMembersPage> {
    return ctx.services.segments.members(args.segmentId, args);
  }

  @RequireScope('actions:write')
  @Mutation(() => Segment, { description: 'Creates a segment; membership of existing profiles is evaluated in the background.' })
  createSegment(@Arg('input', () => CreateSegmentInput) input: CreateSegmentInput, @Ctx() ctx: ProfilesContext): Promise<Segment> {
    return ctx.services.segments.create(input);
  }

  @RequireScope('actions:write')
  @Mutation(() => Segment, { description: 'Changes a segment; a new condition is re-evaluated in the background.' })
  updateSegment(@Args() { id, input }: UpdateSegmentArgs, @Ctx() ctx: ProfilesContext): Promise<Segment> {
    return ctx.services.segments.update(id, input);
  }

  @RequireScope('actions:write')
  @Mutation(() => ID, { description: 'Deletes a segment and its membership history; returns its id.' })
  deleteSegment(@Args() { id }: SegmentArgs, @Ctx() ctx: ProfilesContext): Promise<string> {
    return ctx.services.segments.delete(id);
  }

  @FieldResolver(() => Int, { description: 'Profiles in the segment now.' })
  memberCount(@Root() segment: Segment, @Ctx() ctx: ProfilesContext): Promise<number> {
    return ctx.services.segments.memberCount(segment.id);
  }
}
