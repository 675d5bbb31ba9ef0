import { Entity, Index, Property, Unique } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export enum RiskBucket {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
}
registerEnumType(RiskBucket, { name: 'RiskBucket', description: 'Low 0–50, Medium 50–75, High 75–100 by default (RISK_BUCKET_MEDIUM, RISK_BUCKET_HIGH).' });

/** One factor of a score: its exact share of the log-odds against the population baseline. */
@ObjectType({ description: 'One reason behind a score.' })
export class RiskReason {
  @Field(() => String, { description: 'The feature, e.g. `days_since_last_purchase` or `signals_30d:retry_loop`.' })
  factor!: string;

  @Field(() => Float, {
    description: 'Contribution to the log-odds relative to the population baseline; the contributions of a score add up to logit(score) − logit(baseline).',
  })
  contribution!: number;

  @Field(() => String, { description: 'In plain words, e.g. "no purchase for 74 days vs usual 21".' })
  description!: string;

  @Field(() => [String], { description: 'Ids of the signals (or events) behind it.' })
  evidence!: string[];
}

@ObjectType({ description: 'The model version behind a score; `name` is `prior` before the tenant has a trained model.' })
export class RiskModelRef {
  @Field(() => ID, { nullable: true })
  id!: string | null;

  @Field(() => Int, { nullable: true })
  version!: number | null;

  @Field(() => String)
  name!: string;
}

/** One score of one profile (or journey instance); every change is a new row, so the rows are the history. */
@ObjectType()
@Entity({ tableName: 'risk_score' })
@Index({ properties: ['tenantId', 'profileId', 'kind', 'scoredAt'] })
@Index({ properties: ['tenantId', 'journeyInstanceId', 'scoredAt'] })
// one successor per score: two jobs scoring the same profile at once cannot both append
@Unique({ properties: ['tenantId', 'follows'] })
// the sweeper's read: the few crossings whose follow-ups are not queued yet
@Index({ properties: ['followUpPendingSince'] })
@Index({ properties: ['traitsPendingSince'] })
export class RiskScore extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String, { description: 'Which risk: `churn` (of the customer) or `drop_off` (of one journey instance).' })
  @Property({ type: 'string', length: 32 })
  kind!: string;

  /**
   * The score this one follows (its id), or `first-<kind>-<subject>` for the first; null only on
   * rows written before the column existed.
   */
  @Property({ type: 'string', length: 80, nullable: true })
  follows: string | null = null;

  @Field(() => ID, { nullable: true, description: 'The journey instance a `drop_off` score is about.' })
  @Property({ type: 'uuid', nullable: true })
  journeyInstanceId: string | null = null;

  @Field(() => Float, { description: 'Risk on a 0–100 scale (the probability × 100).' })
  @Property({ type: 'double' })
  score!: number;

  @Field(() => Float, { description: 'The model’s probability, 0–1.' })
  @Property({ type: 'double' })
  probability!: number;

  @Field(() => RiskBucket)
  // a plain column: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  bucket!: RiskBucket;

  @Field(() => Float, { nullable: true, description: 'P(alive): probability the customer is still active (BG/NBD), when a lifetime model is fitted.' })
  @Property({ type: 'double', nullable: true })
  pAlive: number | null = null;

  @Field(() => Float, { nullable: true, description: 'Customer lifetime value over the lifetime model’s horizon, discounted.' })
  @Property({ type: 'double', nullable: true })
  clv: number | null = null;

  @Field(() => Float, { nullable: true, description: 'Churn probability × CLV.' })
  @Property({ type: 'double', nullable: true })
  revenueAtRisk: number | null = null;

  @Field(() => [RiskReason], { description: 'Top factors, largest first, with plain words and evidence.' })
  @Property({ type: 'json' })
  reasons!: RiskReason[];

  @Property({ type: 'uuid', nullable: true })
  modelId: string | null = null;

  @Property({ type: 'integer', nullable: true })
  modelVersion: number | null = null;

  /** `prior` or the model kind. */
  @Property({ type: 'string', length: 32 })
  modelName!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  scoredAt!: Date;

  /**
   * The alerts hand-off: set when a score that is news is stored, cleared once actions has
   * evaluated its alert rules against it (a `score-follow-ups-done` job from `raise-alerts`). A
   * crash before queueing, or a `raise-alerts` job lost from Redis, leaves it set, and the score
   * sweeper (`sweep-scores`) queues the alerts again once it is older than `SWEEP_GRACE_MS`. Null
   * on every other row (a score that is no news has nothing to follow up), old rows included.
   */
  @Property({ type: 'datetime', nullable: true })
  followUpPendingSince: Date | null = null;

  /**
   * The computed-traits hand-off, the same way: set when a churn score crossing into a new bucket
   * is stored, cleared once profiles has written the profile's risk trait (`set-computed-traits`
   * acknowledges). Null on every other row.
   */
  @Property({ type: 'datetime', nullable: true })
  traitsPendingSince: Date | null = null;

  // methods, not getters: MikroORM would take a getter for a column it must be given
  @Field(() => Float, { name: 'churn', nullable: true, description: 'Churn probability (0–1) of a `churn` score.' })
  churnProbability(): number | null {
    return this.kind === 'churn' ? this.probability : null;
  }

  @Field(() => RiskModelRef, { name: 'model' })
  modelRef(): RiskModelRef {
    return { id: this.modelId, version: this.modelVersion, name: this.modelName };
  }
}
