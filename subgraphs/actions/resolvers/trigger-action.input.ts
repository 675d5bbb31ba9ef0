import { IsUUID } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, InputType, Int } from 'type-graphql';

@InputType({ description: 'A one-off action for one profile, outside a playbook; the fields of a playbook step of `type`. Errors name the field, e.g. `input.channel`.' })
export class TriggerActionInput {
  @Field(() => String, { description: 'Your idempotency key (1–100 of letters, digits, _ . : -): the same key again returns the same run and acts once.' })
  key!: string;

  @Field(() => ID)
  @IsUUID()
  profileId!: string;

  @Field(() => String, { description: 'send, createTask, webhook or updateTraits.' })
  type!: string;

  @Field(() => String, { nullable: true, description: 'send, webhook: the channel’s name.' })
  channel?: string | null;

  @Field(() => String, { nullable: true })
  to?: string | null;

  @Field(() => String, { nullable: true })
  subject?: string | null;

  @Field(() => String, { nullable: true })
  body?: string | null;

  @Field(() => String, { nullable: true })
  html?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'webhook: `{ key: template }`.' })
  data?: Record<string, unknown> | null;

  @Field(() => String, { nullable: true, description: 'createTask.' })
  team?: string | null;

  @Field(() => String, { nullable: true, description: 'createTask.' })
  title?: string | null;

  @Field(() => String, { nullable: true, description: 'createTask: low, normal, high or urgent.' })
  priority?: string | null;

  @Field(() => Int, { nullable: true, description: 'createTask.' })
  dueInSeconds?: number | null;

  @Field(() => String, { nullable: true, description: 'createTask.' })
  escalateToTeam?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'updateTraits: the traits to set; other types: traits for the templates.' })
  traits?: Record<string, unknown> | null;
}
