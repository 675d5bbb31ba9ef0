import { ArrayMaxSize, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { Field, Float, InputType, Int, registerEnumType } from 'type-graphql';

import { ModelKind } from '../entities/model-version.entity';

export enum LabelActivity {
  ANY = 'any',
  PURCHASE = 'purchase',
}
registerEnumType(LabelActivity, { name: 'LabelActivity' });

export enum TraitType {
  NUMERIC = 'numeric',
  CATEGORICAL = 'categorical',
}
registerEnumType(TraitType, { name: 'TraitType' });

export enum TimeUnitInput {
  DAYS = 'days',
  WEEKS = 'weeks',
}
registerEnumType(TimeUnitInput, { name: 'TimeUnit' });

@InputType({
  description:
    'What churn means for you, one of: `event` + `withinDays` ("performs Subscription Cancelled within 30 days after the snapshot"), or `inactiveDays` ("no activity / no purchase for 60 days").',
})
export class ChurnLabelInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 255)
  event?: string | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1)
  @Max(3650)
  withinDays?: number | null;

  @Field(() => Int, { nullable: true })
  @IsOptional()
  @Min(1)
  @Max(3650)
  inactiveDays?: number | null;

  // no GraphQL default: an enum default in the SDL reaches resolvers as its name, not its value
  @Field(() => LabelActivity, { nullable: true, description: 'For `inactiveDays`: any activity (ANY, the default), or purchases only.' })
  @IsOptional()
  activity?: LabelActivity | null;
}

@InputType()
export class TraitFeatureInput {
  @Field(() => String)
  @Length(1, 128)
  name!: string;

  @Field(() => TraitType)
  type!: TraitType;
}

@InputType({ description: 'Features beyond the built-in behavioural ones (recency, frequency, revenue, signals, journeys).' })
export class FeatureSelectionInput {
  @Field(() => [String], { defaultValue: [], description: 'Event names counted over 30 days, one feature each.' })
  @ArrayMaxSize(50)
  events!: string[];

  @Field(() => [TraitFeatureInput], { defaultValue: [], description: 'identify traits, as of each snapshot.' })
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  traits!: TraitFeatureInput[];

  @Field(() => [String], { nullable: true, description: 'Signal types counted over 30 days; default every type seen.' })
  @IsOptional()
  @ArrayMaxSize(50)
  signalTypes?: string[] | null;
}

@InputType({ description: 'Snapshot dates spaced `everyDays` apart, the last one a full label window before your latest event.' })
export class SnapshotWindowInput {
  @Field(() => Int, { defaultValue: 14 })
  @Min(1)
  @Max(365)
  everyDays: number = 14;

  @Field(() => Int, { defaultValue: 6 })
  @Min(1)
  @Max(52)
  count: number = 6;
}

@InputType()
export class TrainModelInput {
  @Field(() => ModelKind, { description: 'CHURN or DROP_OFF (lifetime models: fitLifetimeModel).' })
  kind!: ModelKind;

  @Field(() => ChurnLabelInput, { nullable: true, description: 'Required for CHURN.' })
  @IsOptional()
  @ValidateNested()
  label?: ChurnLabelInput | null;

  @Field(() => FeatureSelectionInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  features?: FeatureSelectionInput | null;

  @Field(() => [Date], { nullable: true, description: 'Explicit snapshot dates; otherwise `window`.' })
  @IsOptional()
  @ArrayMaxSize(104)
  snapshotDates?: Date[] | null;

  @Field(() => SnapshotWindowInput, { nullable: true })
  @IsOptional()
  @ValidateNested()
  window?: SnapshotWindowInput | null;

  @Field(() => Float, { defaultValue: 0.25, description: 'Share of profiles held out to measure quality.' })
  @Min(0.05)
  @Max(0.5)
  holdoutFraction: number = 0.25;

  @Field(() => Float, { defaultValue: 1, description: 'L2 penalty on the standardised coefficients.' })
  @Min(0)
  @Max(1e6)
  l2: number = 1;

  @Field(() => String, { defaultValue: 'Order Completed' })
  @Length(1, 255)
  purchaseEvent: string = 'Order Completed';
}

@InputType()
export class FitLifetimeModelInput {
  @Field(() => Date, { description: 'End of the calibration period: purchases up to it are fitted; later ones validate the fit.' })
  calibrationEnd!: Date;

  // no GraphQL default: an enum default in the SDL reaches resolvers as its name, not its value
  @Field(() => TimeUnitInput, { nullable: true, description: 'WEEKS (the default) or DAYS.' })
  @IsOptional()
  timeUnit?: TimeUnitInput | null;

  @Field(() => Float, { defaultValue: 52, description: 'CLV horizon, in time units.' })
  @Min(0)
  @Max(10_000)
  horizon: number = 52;

  @Field(() => Float, { defaultValue: 0.002, description: 'Discount rate per time unit (0.002 a week ≈ 11 % a year).' })
  @Min(0)
  @Max(1)
  discountRate: number = 0.002;

  @Field(() => String, { defaultValue: 'Order Completed' })
  @Length(1, 255)
  purchaseEvent: string = 'Order Completed';
}
