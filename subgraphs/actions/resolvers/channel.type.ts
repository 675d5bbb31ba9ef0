import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import type { Channel } from '../entities/channel.entity';

export enum ChannelKindValue {
  EMAIL = 'email',
  SMS = 'sms',
  PUSH = 'push',
  WEBHOOK = 'webhook',
}
registerEnumType(ChannelKindValue, { name: 'ChannelKind', description: 'How a channel reaches its recipient.' });

@ObjectType({ description: 'A secret of a channel: only its id and dates; the value never leaves the platform.' })
export class ChannelSecretInfo {
  @Field(() => ID)
  id!: string;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When a rotated-out secret stops being used; null: current.' })
  expiresAt!: Date | null;

  @Field(() => Boolean, { description: 'Read from an environment variable (`env:NAME`) instead of stored sealed.' })
  fromEnv!: boolean;
}

@ObjectType({ description: 'An outbound channel of your tenant (email, SMS, push or webhook).' })
export class ChannelType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Unique in your tenant; playbook steps send through a channel by name.' })
  name!: string;

  @Field(() => ChannelKindValue)
  kind!: ChannelKindValue;

  @Field(() => GraphQLJSONObject, { description: 'The settings of the kind (no secrets).' })
  config!: Record<string, unknown>;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is disabled (an administrator, a webhook answering 410, repeated failures).' })
  disabledReason!: string | null;

  @Field(() => Date, { nullable: true })
  disabledAt!: Date | null;

  @Field(() => Boolean, { description: 'A secret is configured.' })
  hasSecret!: boolean;

  @Field(() => [ChannelSecretInfo], { description: 'The secrets, oldest first; two while a webhook secret rotation overlaps.' })
  secrets!: ChannelSecretInfo[];

  @Field(() => Int, { description: 'Failed webhook tries in a row.' })
  consecutiveFailures!: number;

  @Field(() => Date)
  createdAt!: Date;

  @Field(() => Date)
  updatedAt!: Date;
}

/** The API view of a channel row: secrets reduced to ids and dates. */
export function channelOf(row: Channel, now = new Date()): ChannelType {
  const secrets = row.secrets
    .filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now)
    .map((s) => ({ id: s.id, createdAt: new Date(s.createdAt), expiresAt: s.expiresAt ? new Date(s.expiresAt) : null, fromEnv: s.value.startsWith('env:') }));
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as ChannelKindValue,
    config: row.config as unknown as Record<string, unknown>,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt,
    hasSecret: secrets.length > 0,
    secrets,
    consecutiveFailures: row.consecutiveFailures,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
