import { Alert } from './alert.entity';

export const ACTIONS_ENTITIES = [Alert];
