import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, InputType } from 'type-graphql';

/**
 * One Segment event. Fields are loosely typed on purpose: each event is checked by the same rules
 * as the HTTP API, so a bad one is reported in `IngestResult.errors` by its index instead of
 * failing the whole request.
 */
@InputType({ description: 'One event of the Segment tracking spec.' })
export class EventInput {
  @Field(() => String, { nullable: true, description: 'Deduplication key (≤ 255 characters); derived from the content when absent.' })
  messageId?: string | null;

  @Field(() => String, { description: 'track, identify, page, screen, group or alias.' })
  type!: string;

  @Field(() => String, { nullable: true, description: '`track`: the event name (required).' })
  event?: string | null;

  @Field(() => String, { nullable: true, description: '`page`/`screen`: the page or screen name.' })
  name?: string | null;

  @Field(() => String, { nullable: true })
  userId?: string | null;

  @Field(() => String, { nullable: true })
  anonymousId?: string | null;

  @Field(() => String, { nullable: true, description: '`alias`: the identity to link to `userId`.' })
  previousId?: string | null;

  @Field(() => String, { nullable: true, description: '`group`: the account/company id.' })
  groupId?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO-8601 date-time with a time zone; the time of receipt when absent.' })
  timestamp?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  properties?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  traits?: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  context?: Record<string, unknown> | null;
}
