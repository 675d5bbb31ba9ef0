import { IsOptional, Length, MaxLength } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';

@InputType({ description: 'A new segment. `condition` is a condition tree (see the README, "Segments").' })
export class CreateSegmentInput {
  @Field(() => String, { description: 'Unique within your tenant; 1–200 characters.' })
  @Length(1, 200)
  name!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => GraphQLJSONObject, {
    description: 'E.g. `{"and":[{"path":"traits.plan","op":"eq","value":"pro"},{"notSeenForDays":30}]}`.',
  })
  condition!: Record<string, unknown>;
}

@InputType({ description: 'Fields to change; omitted fields keep their value, a null description clears it.' })
export class UpdateSegmentInput {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  name?: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(2000)
  description?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'A new condition tree: membership is re-evaluated in the background.' })
  @IsOptional()
  condition?: Record<string, unknown>;
}
