import { Event } from './event.entity';
import { Signal } from './signal.entity';

export const SIGNALS_ENTITIES = [Signal, Event];
