import { ArrayMaxSize } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';

import { EventInput } from './event.input';

/** Most events per `ingestEvents` call; larger loads go through `/v1/batch` or several calls. */
export const MAX_INGEST_EVENTS = 1000;

@ArgsType()
export class IngestEventsArgs {
  @Field(() => [EventInput])
  @ArrayMaxSize(MAX_INGEST_EVENTS)
  events!: EventInput[];
}
