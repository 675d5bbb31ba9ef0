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

@InputType({ description: 'Every field given must hold (AND). Omit the filter to list every profile.' })
export class ProfilesFilter {
  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Top-level traits that must equal these values (strings, numbers, booleans; at most 10 keys), e.g. `{ plan: "pro" }`.',
  })
  @IsOptional()
  traits?: Record<string, unknown> | null;

  @Field(() => IdentityInput, { nullable: true, description: 'The profile holding this identity (normalised like `profileByIdentity`).' })
  @IsOptional()
  @ValidateNested()
  identity?: IdentityInput | null;

  @Field(() => Date, { nullable: true, description: 'Profiles changed at or after this time.' })
  @IsOptional()
  updatedSince?: Date | null;
}
