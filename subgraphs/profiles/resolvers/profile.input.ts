import { IsEmail, IsOptional, Length, ValidateNested, ArrayMaxSize } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';

import { IdentityType } from '../entities/identity.entity';

@InputType()
export class IdentityInput {
  @Field(() => IdentityType)
  type!: IdentityType;

  @Field(() => String)
  @Length(1, 512)
  value!: string;
}

@InputType({ description: 'Identities find the profile (or create it); traits are merged into it.' })
export class UpsertProfileInput {
  @Field(() => [IdentityInput])
  @ValidateNested({ each: true })
  @ArrayMaxSize(20)
  identities!: IdentityInput[];

  @Field(() => GraphQLJSONObject, { nullable: true })
  @IsOptional()
  traits?: Record<string, unknown>;

  @Field(() => String, { nullable: true, description: 'Shorthand for an `email` identity.' })
  @IsOptional()
  @IsEmail()
  email?: string;
}
