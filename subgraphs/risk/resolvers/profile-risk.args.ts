import { IsOptional, Length, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class ProfileRiskArgs {
  @Field(() => String, { defaultValue: 'churn', description: 'Which risk: `churn`, `drop_off`, …' })
  @Length(1, 32)
  kind: string = 'churn';
}

@ArgsType()
export class ProfileRiskHistoryArgs extends ProfileRiskArgs {
  @Field(() => Date, { nullable: true })
  @IsOptional()
  since?: Date | null;

  @Field(() => Int, { defaultValue: 50 })
  @Min(1)
  @Max(1000)
  first: number = 50;
}
