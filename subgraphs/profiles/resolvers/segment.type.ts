import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import { SegmentMembership } from '../entities/segment-membership.entity';
import { PageInfo } from './profile-connection.type';

@ObjectType()
export class SegmentMemberEdge {
  @Field(() => String, { description: 'Opaque position of this member in the list.' })
  cursor!: string;

  @Field(() => SegmentMembership)
  node!: SegmentMembership;
}

@ObjectType({ description: 'A page of a segment’s current members, oldest entry first.' })
export class SegmentMemberConnection {
  @Field(() => [SegmentMemberEdge])
  edges!: SegmentMemberEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Current members in all pages.' })
  memberCount!: number;
}

export enum SegmentMembershipChangeKind {
  ENTERED = 'entered',
  EXITED = 'exited',
}
registerEnumType(SegmentMembershipChangeKind, { name: 'SegmentMembershipChangeKind', description: 'Whether the profile entered or left the segment.' });

/** A profile entered or left a segment, as streamed to subscribers. */
@ObjectType()
export class SegmentMembershipChange {
  @Field(() => SegmentMembershipChangeKind)
  change!: SegmentMembershipChangeKind;

  @Field(() => Date, { description: 'When the profile entered or left.' })
  at!: Date;

  @Field(() => ID)
  segmentId!: string;

  @Field(() => String, { description: 'The segment’s name when the change happened.' })
  segmentName!: string;

  @Field(() => ID, { description: 'The stay in the segment (a `SegmentMembership`) that began or ended.' })
  membershipId!: string;

  @Field(() => ID)
  profileId!: string;
}
