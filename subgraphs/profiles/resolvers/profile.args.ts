import { IsOptional, Length, Max, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';

import { IdentityType } from '../entities/identity.entity';
import { ProfilesFilter } from './profile.input';

@ArgsType()
export class ProfileArgs {
  @Field(() => ID)
  @Length(1, 64)
  id!: string;
}

@ArgsType()
export class ProfileByIdentityArgs {
  @Field(() => IdentityType)
  type!: IdentityType;

  @Field(() => String)
  @Length(1, 512)
  value!: string;
}

@ArgsType()
export class ProfilesArgs {
  @Field(() => ProfilesFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ProfilesFilter | null;

  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1–200.' })
  @Min(1)
  @Max(200)
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The `endCursor` of the previous page.' })
  @IsOptional()
  @Length(1, 200)
  after?: string | null;
}
