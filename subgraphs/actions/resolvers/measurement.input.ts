import { Field, Float, InputType, Int } from 'type-graphql';

@InputType({ description: 'What to change; omitted fields stay.' })
export class MeasurementSettingsInput {
  @Field(() => Float, { nullable: true, description: '0–0.5.' })
  globalControlFraction?: number | null;

  @Field(() => Int, { nullable: true, description: '1–365 days.' })
  globalControlPeriodDays?: number | null;
}
