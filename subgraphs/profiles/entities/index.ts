import { Identity } from './identity.entity';
import { Profile } from './profile.entity';
import { ProfileEvent } from './profile-event.entity';

export const PROFILES_ENTITIES = [Profile, Identity, ProfileEvent];
