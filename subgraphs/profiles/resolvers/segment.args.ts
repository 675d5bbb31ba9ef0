import { ArrayMaxSize, IsOptional, IsUUID, Length, Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';

import { UpdateSegmentInput } from './segment.input';

@ArgsType()
export class SegmentArgs {
  @Field(() => ID)
  @Length(1, 64)
  id!: string;
}

@ArgsType()
export class UpdateSegmentArgs extends SegmentArgs {
  @Field(() => UpdateSegmentInput)
  input!: UpdateSegmentInput;
}

@ArgsType()
export class SegmentMembersArgs {
  @Field(() => ID)
  @Length(1, 64)
  segmentId!: string;

  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1–500.' })
  @Min(1)
  @Max(500)
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  @IsOptional()
  @Length(1, 200)
  after?: string | null;
}

@ArgsType()
export class SegmentMembershipChangedArgs {
  @Field(() => [ID], { nullable: true, description: 'Only these segments; omit for every segment of your tenant.' })
  @IsOptional()
  @ArrayMaxSize(100)
  @IsUUID('all', { each: true })
  segmentIds?: string[] | null;
}
