import { Directive, Field, ID, ObjectType } from 'type-graphql';

/**
 * The `Profile` entity (owned by `profiles`) as this subgraph sees it: only its key, extended with
 * fields from this subgraph's tables. Each subgraph keeps its own stub class because type-graphql
 * attaches field resolvers to the class.
 */
@ObjectType('Profile')
@Directive('@key(fields: "id")')
export class Profile {
  @Field(() => ID)
  id!: string;
}
