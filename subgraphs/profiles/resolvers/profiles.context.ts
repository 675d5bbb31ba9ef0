import type { RequestContext } from '../../common/request-context';
import type { ProfileService } from '../services/profile.service';

export interface ProfilesContext extends RequestContext {
  services: { profiles: ProfileService };
}
