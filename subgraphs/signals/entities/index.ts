import { Event } from './event.entity';
import { FrictionSettings } from './friction-settings.entity';
import { JourneyDefinition } from './journey-definition.entity';
import { JourneyEvent } from './journey-event.entity';
import { JourneyInstance } from './journey-instance.entity';
import { JourneyStepTime } from './journey-step.entity';
import { ProfileAlias } from './profile-alias.entity';
import { Signal } from './signal.entity';

export const SIGNALS_ENTITIES = [Signal, Event, FrictionSettings, JourneyDefinition, JourneyInstance, JourneyEvent, JourneyStepTime, ProfileAlias];
