import { Identity } from './identity.entity';
import { Profile } from './profile.entity';

export const PROFILES_ENTITIES = [Profile, Identity];
