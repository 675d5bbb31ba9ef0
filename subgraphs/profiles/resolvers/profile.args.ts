import { Length } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';

import { IdentityType } from '../entities/identity.entity';

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
