import { IsOptional, IsUUID, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import type { WebhookDelivery } from '../entities/webhook-delivery.entity';

export enum WebhookDeliveryStatusValue {
  PENDING = 'pending',
  DELIVERED = 'delivered',
  DEAD = 'dead',
}
registerEnumType(WebhookDeliveryStatusValue, {
  name: 'WebhookDeliveryStatus',
  description: 'PENDING: a try is due or scheduled; DELIVERED: the endpoint answered 2xx; DEAD: tries ran out or were refused (replayable).',
});

@ObjectType({ description: 'One event delivered (or being delivered) to one webhook channel.' })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  channelId!: string;

  @Field(() => String, { description: 'The `webhook-id` of every try (receivers deduplicate on it).' })
  webhookId!: string;

  @Field(() => String, { description: '`alert.raised`, …' })
  eventType!: string;

  @Field(() => ID, { description: 'What was delivered (the alert id).' })
  sourceId!: string;

  @Field(() => GraphQLJSONObject)
  payload!: Record<string, unknown>;

  @Field(() => WebhookDeliveryStatusValue)
  status!: WebhookDeliveryStatusValue;

  @Field(() => Int, { description: 'Tries since the delivery (or its last replay) started.' })
  attempts!: number;

  @Field(() => Date, { nullable: true, description: 'When the next try is due (PENDING).' })
  nextAttemptAt!: Date | null;

  @Field(() => Int, { nullable: true, description: 'HTTP status of the last answer.' })
  lastStatus!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => Date, { nullable: true })
  deadAt!: Date | null;

  @Field(() => Date)
  createdAt!: Date;
}

export function webhookDeliveryOf(row: WebhookDelivery): WebhookDeliveryType {
  return {
    id: row.id,
    channelId: row.channelId,
    webhookId: row.idempotencyKey,
    eventType: row.eventType,
    sourceId: row.sourceId,
    payload: row.payload,
    status: row.status as WebhookDeliveryStatusValue,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    deliveredAt: row.deliveredAt,
    deadAt: row.deadAt,
    createdAt: row.createdAt,
  };
}

@ArgsType()
export class WebhookDeliveriesArgs {
  @Field(() => WebhookDeliveryStatusValue, { nullable: true, description: 'DEAD lists the dead letters.' })
  status?: WebhookDeliveryStatusValue | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  channelId?: string | null;

  @Field(() => Int, { defaultValue: 50, description: 'At most 200.' })
  @Min(1)
  @Max(200)
  first!: number;

  @Field(() => ID, { nullable: true, description: 'The last id of the previous page.' })
  @IsOptional()
  @IsUUID()
  after?: string | null;
}

@ArgsType()
export class WebhookDeliveryIdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}
