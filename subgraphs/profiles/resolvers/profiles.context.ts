import type { FsPubSub } from '../../common/pubsub';
import type { RequestContext } from '../../common/request-context';
import type { ProfileService } from '../services/profile.service';
import type { SegmentService } from '../services/segment.service';

export interface ProfilesContext extends RequestContext {
  services: { profiles: ProfileService; segments: SegmentService };
  /** For the `segmentMembershipChanged` subscription. */
  pubSub: FsPubSub;
}
