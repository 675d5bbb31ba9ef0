import { ArrayMaxSize, IsOptional, Length, MaxLength } from 'class-validator';
import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, InputType, Int } from 'type-graphql';

// Shapes only: the rules (counts, ranges, unique keys, completion step) are checked in one place,
// `parseJourneyDefinition`, which reports every problem at once as BAD_USER_INPUT.

@InputType({ description: 'A condition on an event property: give `equals` or `in`.' })
export class JourneyConditionInput {
  @Field(() => String, { description: 'Dotted path inside the event’s `properties`, e.g. `document.type`.' })
  property!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'A string, number, boolean or null the property must equal.' })
  equals?: unknown;

  @Field(() => [GraphQLJSON], { nullable: true, description: 'Values the property must equal one of.' })
  in?: unknown[] | null;
}

@InputType({ description: 'One step of a journey, in order.' })
export class JourneyStepInput {
  @Field(() => String, { description: 'Unique in the journey: 1–64 letters, digits, `_`, `.`, `-`.' })
  key!: string;

  @Field(() => String, { description: 'Event name (track event, or page/screen name) that reaches the step.' })
  event!: string;

  @Field(() => [JourneyConditionInput], { nullable: true })
  conditions?: JourneyConditionInput[] | null;

  @Field(() => Float, { nullable: true, description: 'Longest expected time to reach a later step, in ms (default 1 day); past it the instance stalls.' })
  slaMs?: number | null;

  @Field(() => [String], { nullable: true, description: 'Events that mean an attempt at this step failed, e.g. `ID Upload Failed`.' })
  failureEvents?: string[] | null;
}

@InputType({ description: '`count` attempts at one step within `windowMs` make a retry loop.' })
export class RetryLoopInput {
  @Field(() => Int, { nullable: true, description: 'Default 3.' })
  count?: number | null;

  @Field(() => Float, { nullable: true, description: 'In ms. Default 600000 (10 minutes).' })
  windowMs?: number | null;
}

@InputType({ description: 'A new journey definition (see the README, "Journeys").' })
export class CreateJourneyInput {
  @Field(() => String, { description: 'Unique within your tenant; 1–200 characters.' })
  @Length(1, 200)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => [JourneyStepInput], { description: '2–50 steps, in order.' })
  @ArrayMaxSize(50)
  steps!: JourneyStepInput[];

  @Field(() => String, { nullable: true, description: 'Key of the step that completes the journey. Default the last step.' })
  completionStep?: string | null;

  @Field(() => Float, { nullable: true, description: 'Longest expected time from start to completion, in ms. Default 604800000 (7 days).' })
  slaMs?: number | null;

  @Field(() => RetryLoopInput, { nullable: true })
  retryLoop?: RetryLoopInput | null;

  @Field(() => Float, { nullable: true, description: 'Inactivity that ends a session (mid-journey exit), in ms. Default 1800000 (30 minutes).' })
  sessionTimeoutMs?: number | null;
}

@InputType({ description: 'Fields to change; omitted fields keep their value, a null description clears it.' })
export class UpdateJourneyInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => [JourneyStepInput], { nullable: true, description: 'Replaces every step (the completion step defaults to the last one again).' })
  @IsOptional()
  @ArrayMaxSize(50)
  steps?: JourneyStepInput[] | null;

  @Field(() => String, { nullable: true })
  completionStep?: string | null;

  @Field(() => Float, { nullable: true })
  slaMs?: number | null;

  @Field(() => RetryLoopInput, { nullable: true, description: 'The fields given replace those of the current threshold.' })
  retryLoop?: RetryLoopInput | null;

  @Field(() => Float, { nullable: true })
  sessionTimeoutMs?: number | null;
}
