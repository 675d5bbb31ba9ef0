import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType, ObjectType } from 'type-graphql';

@ObjectType({ description: 'The friction detectors’ settings of your tenant.' })
export class FrictionSettingsView {
  @Field(() => GraphQLJSONObject, { description: 'What your tenant overrides (merged over the defaults).' })
  overrides!: Record<string, unknown>;

  @Field(() => GraphQLJSONObject, { description: 'The settings in effect: the defaults with the overrides merged in.' })
  effective!: Record<string, unknown>;

  @Field(() => Date, { nullable: true, description: 'Last change; null while the defaults apply.' })
  updatedAt!: Date | null;
}

@InputType()
export class UpdateFrictionSettingsInput {
  @Field(() => GraphQLJSONObject, {
    description:
      'Replaces the overrides, e.g. `{ "retryLoop": { "minFailures": 4 }, "supportBurst": { "events": ["Zendesk Ticket Opened"] } }`; `{}` restores the defaults.',
  })
  overrides!: Record<string, unknown>;
}
