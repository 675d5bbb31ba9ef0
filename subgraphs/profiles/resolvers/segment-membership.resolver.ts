import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Profile } from '../entities/profile.entity';
import { SegmentMembership } from '../entities/segment-membership.entity';
import { Segment } from '../entities/segment.entity';
import type { ProfilesContext } from './profiles.context';

@Resolver(() => SegmentMembership)
export class SegmentMembershipResolver {
  @FieldResolver(() => Segment)
  segment(@Root() membership: SegmentMembership, @Ctx() ctx: ProfilesContext): Promise<Segment> {
    return ctx.services.segments.segmentOf(membership);
  }

  @FieldResolver(() => Profile, { nullable: true, description: 'Null once the profile is gone (merged into another).' })
  profile(@Root() membership: SegmentMembership, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.profiles.byId(membership.profileId);
  }
}

@Resolver(() => Profile)
export class ProfileSegmentsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [SegmentMembership], { description: 'Segments the profile is in now, oldest entry first.' })
  segments(@Root() profile: Profile, @Ctx() ctx: ProfilesContext): Promise<SegmentMembership[]> {
    return ctx.services.segments.currentMembershipsOf(profile.id);
  }
}
