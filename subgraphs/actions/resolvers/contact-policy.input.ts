import { Field, InputType, Int } from 'type-graphql';

@InputType({ description: 'A channel’s quiet hours and frequency cap; errors name the field, e.g. `input.quietHoursEnd`.' })
export class ContactPolicyInput {
  @Field(() => String, { description: 'The channel’s name, as send steps name it.' })
  channel!: string;

  @Field(() => String, { nullable: true, description: '`HH:MM`, with `quietHoursEnd`.' })
  quietHoursStart?: string | null;

  @Field(() => String, { nullable: true, description: '`HH:MM`, with `quietHoursStart`.' })
  quietHoursEnd?: string | null;

  @Field(() => String, { nullable: true, description: 'IANA zone for customers without a `timezone` trait (your tenant’s zone). Default UTC.' })
  timezone?: string | null;

  @Field(() => Int, { nullable: true, description: '1–1000, with `capWindowSeconds`.' })
  capCount?: number | null;

  @Field(() => Int, { nullable: true, description: '60 s – 365 days, with `capCount`.' })
  capWindowSeconds?: number | null;
}
