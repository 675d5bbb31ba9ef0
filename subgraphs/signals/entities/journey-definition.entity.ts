import { Entity, EntityRepositoryType, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, Float, Int, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { JourneySpec, JourneyStep, RetryLoopThreshold } from '../domain/journeys/definition';
import { JourneyStepType, RetryLoopThresholdType } from '../resolvers/journey.type';
import { JourneyDefinitionRepository } from './journey-definition.repository';

/** A tenant's journey: ordered steps recognised in the event stream, with SLAs and retry thresholds. */
@ObjectType({ description: 'A journey definition (see the README, "Journeys").' })
@Entity({ tableName: 'journey_definition', repository: () => JourneyDefinitionRepository })
@Unique({ properties: ['tenantId', 'name'] })
export class JourneyDefinition extends TenantEntity {
  [EntityRepositoryType]?: JourneyDefinitionRepository;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => [JourneyStepType])
  @Property({ type: 'json' })
  steps!: JourneyStep[];

  @Field(() => String, { description: 'Key of the step that completes the journey.' })
  @Property({ type: 'string', length: 64 })
  completionStep!: string;

  @Field(() => Float, { description: 'Longest expected time from start to completion, in ms.' })
  @Property({ type: 'double' })
  slaMs!: number;

  @Field(() => RetryLoopThresholdType)
  @Property({ type: 'json' })
  retryLoop!: RetryLoopThreshold;

  @Field(() => Float, { description: 'Inactivity that ends a session (mid-journey exit), in ms.' })
  @Property({ type: 'double' })
  sessionTimeoutMs!: number;

  @Field(() => Int, { description: 'Starts at 1; every update adds one.' })
  @Property({ type: 'integer' })
  version: Opt<number> = 1;

  /** The definition as the pure journey code takes it. */
  toSpec(): JourneySpec {
    return {
      name: this.name,
      steps: this.steps,
      completionStep: this.completionStep,
      slaMs: this.slaMs,
      retryLoop: this.retryLoop,
      sessionTimeoutMs: this.sessionTimeoutMs,
    };
  }
}
