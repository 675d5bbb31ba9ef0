import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class KpisArgs {
  @Field(() => Date, { description: 'Start of the period (inclusive).' })
  from!: Date;

  @Field(() => Date, { description: 'End of the period (exclusive); after `from`, at most 366 days later.' })
  to!: Date;
}
