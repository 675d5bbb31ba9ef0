import { IsOptional, Max, Min, ArrayMaxSize } from 'class-validator';
import { Field, Float, ID, InputType, ObjectType } from 'type-graphql';

import { Profile } from './profile.type';
import { RiskBucket, RiskModelRef, RiskReason } from '../entities/risk-score.entity';

/** A risk score that moved past the delta or crossed a bucket, as streamed to subscribers. */
@ObjectType()
export class RiskChange {
  @Field(() => Profile, { description: 'Select any profile field; the gateway fetches it from its subgraph.' })
  profile!: Profile;

  @Field(() => ID)
  scoreId!: string;

  @Field(() => String)
  kind!: string;

  @Field(() => Float)
  score!: number;

  @Field(() => Float, { nullable: true })
  previousScore!: number | null;

  @Field(() => RiskBucket)
  bucket!: RiskBucket;

  @Field(() => RiskBucket, { nullable: true })
  previousBucket!: RiskBucket | null;

  @Field(() => Boolean, { description: 'True when the bucket changed.' })
  crossing!: boolean;

  @Field(() => Date)
  scoredAt!: Date;

  @Field(() => Float, { nullable: true, description: 'Churn probability (0–1) of a `churn` change.' })
  churn!: number | null;

  @Field(() => Float, { nullable: true })
  pAlive!: number | null;

  @Field(() => Float, { nullable: true })
  clv!: number | null;

  @Field(() => Float, { nullable: true })
  revenueAtRisk!: number | null;

  @Field(() => ID, { nullable: true, description: 'The journey instance of a `drop_off` change.' })
  journeyInstanceId!: string | null;

  @Field(() => [RiskReason], { description: 'Why: the top factors with plain words and evidence.' })
  reasons!: RiskReason[];

  @Field(() => RiskModelRef)
  model!: RiskModelRef;
}

@InputType({ description: 'Every given criterion must match; omit the filter to receive every change of your tenant.' })
export class RiskChangedFilter {
  @Field(() => [ID], { nullable: true })
  @IsOptional()
  @ArrayMaxSize(1000)
  profileIds?: string[] | null;

  @Field(() => [ID], { nullable: true, description: 'Only profiles in at least one of these segments.' })
  @IsOptional()
  @ArrayMaxSize(100)
  segmentIds?: string[] | null;

  @Field(() => Float, { nullable: true })
  @IsOptional()
  @Min(0)
  @Max(100)
  minScore?: number | null;

  @Field(() => [RiskBucket], { nullable: true })
  @IsOptional()
  buckets?: RiskBucket[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only bucket crossings.' })
  @IsOptional()
  crossingOnly?: boolean | null;

  @Field(() => [String], { nullable: true })
  @IsOptional()
  kinds?: string[] | null;
}
