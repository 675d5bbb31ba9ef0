import { GraphQLJSON } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Stored journey states (lower case in SQL), exposed as SCREAMING_SNAKE GraphQL enum values. */
export const JourneyStateEnum = {
  ACTIVE: 'active',
  COMPLETED: 'completed',
  STALLED: 'stalled',
  ABANDONED: 'abandoned',
} as const;
registerEnumType(JourneyStateEnum, {
  name: 'JourneyState',
  description: 'ACTIVE (in progress), STALLED (in progress, past the current step’s SLA), COMPLETED, ABANDONED (journey SLA exceeded).',
});

@ObjectType('JourneyCondition', { description: 'A condition on an event property (dotted path inside `properties`).' })
export class JourneyConditionType {
  @Field(() => String)
  property!: string;

  @Field(() => GraphQLJSON, { nullable: true, description: 'The property must equal this value (strictly).' })
  equals?: unknown;

  @Field(() => [GraphQLJSON], { nullable: true, description: 'The property must equal one of these values.' })
  in?: unknown[];
}

@ObjectType('JourneyStep', { description: 'One step of a journey definition.' })
export class JourneyStepType {
  @Field(() => String)
  key!: string;

  @Field(() => String, { description: 'Event name that marks the step as reached.' })
  event!: string;

  @Field(() => [JourneyConditionType])
  conditions!: JourneyConditionType[];

  @Field(() => Float, { nullable: true, description: 'Longest expected time to reach a later step, in ms; null on the completion step.' })
  slaMs!: number | null;

  @Field(() => [String], { description: 'Events that mean an attempt at this step failed.' })
  failureEvents!: string[];
}

@ObjectType('RetryLoopThreshold', { description: 'A retry loop is `count` attempts at one step within `windowMs`.' })
export class RetryLoopThresholdType {
  @Field(() => Int)
  count!: number;

  @Field(() => Float)
  windowMs!: number;
}

@ObjectType('JourneyStepProgress', { description: 'When an instance first reached a step.' })
export class JourneyStepProgress {
  @Field(() => String)
  key!: string;

  @Field(() => Date)
  reachedAt!: Date;

  @Field(() => ID, { description: 'The event that reached it.' })
  eventId!: string;
}

@ObjectType('JourneyFunnelStep', { description: 'One step of a journey funnel.' })
export class JourneyFunnelStep {
  @Field(() => String)
  key!: string;

  @Field(() => Int, { description: 'Instances that reached this step or a later one.' })
  reached!: number;

  @Field(() => Float, { description: 'reached / reached at the previous step (1 for the first step, 0 when the previous step has none).' })
  conversion!: number;

  @Field(() => Float, { description: 'reached / entered.' })
  conversionFromStart!: number;

  @Field(() => Float, { nullable: true, description: 'Median time from reaching this step to reaching the next one, in ms; null when no instance moved on.' })
  medianTimeMs!: number | null;
}

@ObjectType('JourneyFunnel', { description: 'The funnel of a journey over the instances that started in [from, to).' })
export class JourneyFunnel {
  @Field(() => ID)
  definitionId!: string;

  @Field(() => Date, { nullable: true })
  from!: Date | null;

  @Field(() => Date, { nullable: true })
  to!: Date | null;

  @Field(() => Int, { description: 'Instances started.' })
  entered!: number;

  @Field(() => Int)
  completed!: number;

  @Field(() => Float, { description: 'completed / entered (0 when none entered).' })
  completionRate!: number;

  @Field(() => Int, { description: 'Of those, currently active.' })
  active!: number;

  @Field(() => Int, { description: 'Of those, currently stalled.' })
  stalled!: number;

  @Field(() => Int, { description: 'Of those, abandoned.' })
  abandoned!: number;

  @Field(() => [JourneyFunnelStep])
  steps!: JourneyFunnelStep[];
}
