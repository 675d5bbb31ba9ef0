import { ArrayMaxSize, IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'Every given criterion must match.' })
export class SignalsFilter {
  @Field(() => [String], { nullable: true, description: 'Only these signal types (`retry_loop`, `stall`, …).' })
  @IsOptional()
  @ArrayMaxSize(50)
  types?: string[] | null;

  @Field(() => ID, { nullable: true, description: 'Only this profile’s signals.' })
  @IsOptional()
  @Length(1, 64)
  profileId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only signals detected at or after this time.' })
  @IsOptional()
  since?: Date | null;

  @Field(() => Float, { nullable: true, description: 'Only signals at least this severe (0–1).' })
  @IsOptional()
  @Min(0)
  @Max(1)
  minSeverity?: number | null;
}

@ArgsType()
export class SignalsArgs {
  @Field(() => SignalsFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: SignalsFilter | null;

  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1–200.' })
  @Min(1)
  @Max(200)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  @IsOptional()
  @Length(1, 200)
  after?: string | null;
}

@ArgsType()
export class SignalDetectedArgs {
  @Field(() => [String], { nullable: true, description: 'Only these signal types; omit for every type.' })
  @IsOptional()
  @ArrayMaxSize(50)
  types?: string[] | null;

  @Field(() => Float, { nullable: true, description: 'Only signals at least this severe (0–1).' })
  @IsOptional()
  @Min(0)
  @Max(1)
  minSeverity?: number | null;
}
