import { filter, pipe } from '@graphql-yoga/subscription';
import { Args, Ctx, FieldResolver, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';

import { hasScope } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import { SEGMENT_MEMBERSHIP_CHANGED, type SegmentMembershipChangedEvent } from '../../common/pubsub';
import { RequireScope } from '../../common/require-scope';
import { Profile } from '../entities/profile.entity';
import type { ProfilesContext } from './profiles.context';
import { SegmentMembershipChangedArgs } from './segment.args';
import { SegmentMembershipChange, SegmentMembershipChangeKind } from './segment.type';

/** Membership is profile data, so watching it needs what reading it needs: `profiles:read`. */
const SCOPE = 'profiles:read';

@Resolver(() => SegmentMembershipChange)
export class SegmentMembershipChangedResolver {
  @RequireScope(SCOPE)
  @Subscription(() => SegmentMembershipChange, {
    description: 'Profiles entering and leaving segments of your tenant, as it happens (fanned out through Redis).',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, SegmentMembershipChangedArgs, ProfilesContext>) => {
      // refuse at subscribe time rather than on every event
      if (!hasScope(context.auth.scopes, SCOPE)) throw new AppError('FORBIDDEN', `missing scope ${SCOPE}`);
      const wanted = args.segmentIds?.length ? new Set(args.segmentIds) : null;
      return pipe(
        context.pubSub.subscribe(SEGMENT_MEMBERSHIP_CHANGED, context.tenantId),
        filter((event: SegmentMembershipChangedEvent) => event.tenantId === context.tenantId && (!wanted || wanted.has(event.segmentId))),
      );
    },
  })
  segmentMembershipChanged(@Root() event: SegmentMembershipChangedEvent, @Args() _args: SegmentMembershipChangedArgs): SegmentMembershipChange {
    return {
      change: event.change === 'entered' ? SegmentMembershipChangeKind.ENTERED : SegmentMembershipChangeKind.EXITED,
      at: new Date(event.at),
      segmentId: event.segmentId,
      segmentName: event.segmentName,
      membershipId: event.membershipId,
      profileId: event.profileId,
    };
  }

  @FieldResolver(() => Profile, {
    nullable: true,
    description: 'The profile as it is now (null once merged away); other subgraphs’ fields come through the gateway.',
  })
  profile(@Root() change: SegmentMembershipChange, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.segments.profileForEvent(change.profileId);
  }
}
