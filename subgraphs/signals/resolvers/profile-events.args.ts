import { ArrayMaxSize, IsOptional, Max, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

@ArgsType()
export class ProfileEventsArgs {
  @Field(() => Int, { defaultValue: 50 })
  @Min(1)
  @Max(500)
  first: number = 50;

  @Field(() => [String], { nullable: true, description: 'Only these event types (track, identify, page, screen, group, alias).' })
  @IsOptional()
  @ArrayMaxSize(6)
  types?: string[] | null;
}
