import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** The `JourneyInstance` entity (owned by `signals`) as risk sees it: its key, extended with `dropOffRisk`. */
@ObjectType('JourneyInstance')
@Directive('@key(fields: "id")')
export class JourneyInstance {
  @Field(() => ID)
  id!: string;
}
