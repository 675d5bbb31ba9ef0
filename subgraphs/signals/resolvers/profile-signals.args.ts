import { ArrayMaxSize, IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class ProfileSignalsArgs {
  @Field(() => [String], { nullable: true, description: 'Only these signal types.' })
  @IsOptional()
  @ArrayMaxSize(50)
  types?: string[] | null;

  @Field(() => Date, { nullable: true, description: 'Only signals detected at or after this time.' })
  @IsOptional()
  since?: Date | null;

  @Field(() => Int, { defaultValue: 20 })
  @Min(1)
  @Max(500)
  first: number = 20;
}
