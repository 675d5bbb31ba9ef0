import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An account/company the profile belongs to, from `group` events.' })
export class ProfileGroup {
  @Field(() => String, { description: 'The `groupId` sent by the app.' })
  groupId!: string;

  @Field(() => GraphQLJSONObject, { description: 'The account’s traits, shared by its members, last-write-wins by event time.' })
  traits!: Record<string, unknown>;

  @Field(() => Date, { description: 'When this profile was first linked to the account.' })
  linkedAt!: Date;
}
