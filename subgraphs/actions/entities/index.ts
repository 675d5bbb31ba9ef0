import { Alert } from './alert.entity';
import { ProfileAlias } from './profile-alias.entity';

export const ACTIONS_ENTITIES = [Alert, ProfileAlias];
