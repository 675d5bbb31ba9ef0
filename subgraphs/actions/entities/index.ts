import { Alert } from './alert.entity';
import { AlertRuleState } from './alert-rule-state.entity';
import { AlertRuleVersion } from './alert-rule-version.entity';
import { ProfileAlias } from './profile-alias.entity';

export const ACTIONS_ENTITIES = [Alert, AlertRuleVersion, AlertRuleState, ProfileAlias];
