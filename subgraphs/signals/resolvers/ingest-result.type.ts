import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An event that was refused, and why.' })
export class IngestError {
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

  @Field(() => [IngestError])
  errors!: IngestError[];
}
