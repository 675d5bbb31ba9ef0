import { AccountGroup } from './account-group.entity';
import { GroupMembership } from './group-membership.entity';
import { Identity } from './identity.entity';
import { Profile } from './profile.entity';
import { ProfileEvent } from './profile-event.entity';
import { ProfileMerge } from './profile-merge.entity';
import { Segment } from './segment.entity';
import { SegmentMembership } from './segment-membership.entity';

export const PROFILES_ENTITIES = [Profile, Identity, ProfileEvent, ProfileMerge, AccountGroup, GroupMembership, Segment, SegmentMembership];
