import { Field, Float, ID, ObjectType } from 'type-graphql';

import { Signal } from '../entities/signal.entity';
import { Profile } from './profile.type';

@ObjectType()
export class SignalPageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page; null on an empty page.' })
  endCursor!: string | null;
}

@ObjectType()
export class SignalEdge {
  @Field(() => String, { description: 'Opaque position of this signal in the list.' })
  cursor!: string;

  @Field(() => Signal)
  node!: Signal;
}

@ObjectType({ description: 'A page of signals, newest first.' })
export class SignalConnection {
  @Field(() => [SignalEdge])
  edges!: SignalEdge[];

  @Field(() => SignalPageInfo)
  pageInfo!: SignalPageInfo;
}

@ObjectType({ description: 'A friction signal as it is detected, streamed to subscribers.' })
export class DetectedSignal {
  @Field(() => ID, { description: 'The stored signal (`signals(filter)` returns it with its evidence).' })
  id!: string;

  @Field(() => String)
  type!: string;

  @Field(() => Float, { description: '0 (mild) to 1 (severe).' })
  severity!: number;

  @Field(() => String, { description: 'Human-readable evidence, e.g. "3 × \\"ID Upload Failed\\" in 4 min".' })
  summary!: string;

  @Field(() => ID, { nullable: true })
  journeyInstanceId!: string | null;

  @Field(() => Date)
  detectedAt!: Date;

  @Field(() => Profile, { description: 'Select any profile field; the gateway fetches it from its subgraph.' })
  profile!: Profile;
}
