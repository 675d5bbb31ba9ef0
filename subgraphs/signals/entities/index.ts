import { Signal } from './signal.entity';

export const SIGNALS_ENTITIES = [Signal];
