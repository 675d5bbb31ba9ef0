import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An event that was refused, and why.' })
export class IngestError {
  @Field(() => Int, { description: 'Position of the event in the request, from 0.' })
  index!: number;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'An event that was stored, but changed on the way, and how.' })
export class IngestNotice {
  @Field(() => Int, { description: 'Position of the event in the request, from 0.' })
  index!: number;

  @Field(() => String)
  message!: string;
}

@ObjectType({ description: 'What became of the events of one ingestion request.' })
export class IngestResult {
  @Field(() => Int, { description: 'Events stored by this request (durable once answered).' })
  accepted!: number;

  @Field(() => Int, { description: 'Events already stored under the same messageId (or repeated in the request), ignored.' })
  duplicates!: number;

  @Field(() => [IngestError], { description: 'Refused events (the first 100; `errorCount` says how many in all).' })
  errors!: IngestError[];

  @Field(() => Int, { description: 'Refused events in all.' })
  errorCount!: number;

  @Field(() => [IngestNotice], { description: 'Stored events that were changed, e.g. a timestamp in the future stored as the time received (the first 100).' })
  notices!: IngestNotice[];
}
