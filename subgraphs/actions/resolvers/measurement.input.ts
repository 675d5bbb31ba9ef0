import { IsOptional, IsUUID } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'What to change; omitted fields stay.' })
export class MeasurementSettingsInput {
  @Field(() => Float, { nullable: true, description: '0–0.5.' })
  globalControlFraction?: number | null;

  @Field(() => Int, { nullable: true, description: '1–365 days.' })
  globalControlPeriodDays?: number | null;

  @Field(() => [String], { nullable: true, description: 'Event names that mean the customer contacted support (replaces the list; at most 20).' })
  supportEvents?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Event names that mean the customer churned (replaces the list; at most 20).' })
  churnEvents?: string[] | null;
}

@ArgsType()
export class PlaybookImpactArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;

  @Field(() => Date, { nullable: true, description: 'Customers assigned from this time on (default: the beginning).' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Customers assigned before this time (default: now).' })
  @IsOptional()
  to?: Date | null;
}
