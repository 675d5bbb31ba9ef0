import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/** Where a webhook delivery is: waiting for a try, delivered, or dead-lettered (replayable). */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'dead';

/**
 * The outbox of webhook deliveries: one row per (event, channel), written in the transaction that
 * produced the event, so an acknowledged alert is never lost to a Redis flush or a crash. The
 * `deliver-webhook` job of try `seq` has the id `<id>-<seq>`; the sweeper re-queues a pending row
 * whose job was lost.
 */
@Entity({ tableName: 'webhook_delivery' })
@Unique({ properties: ['tenantId', 'idempotencyKey'] })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({ properties: ['tenantId', 'channelId', 'status'] })
export class WebhookDelivery extends TenantEntity {
  @Property({ type: 'uuid' })
  channelId!: string;

  /** `webhook-id` of every try: receivers deduplicate on it (e.g. `alert-<alertId>-<channelId>`). */
  @Property({ type: 'string', length: 200 })
  idempotencyKey!: string;

  /** `alert.raised`, … */
  @Property({ type: 'string', length: 64 })
  eventType!: string;

  /** The id of what is delivered (the alert). */
  @Property({ type: 'string', length: 128 })
  sourceId!: string;

  @Property({ type: 'uuid', nullable: true })
  profileId: Opt<string> | null = null;

  /** The `data` of the Standard Webhooks body. */
  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'string', length: 16 })
  status: Opt<WebhookDeliveryStatus> = 'pending';

  /** Tries made since the delivery (or its last replay) started: the index into the retry schedule. */
  @Property({ type: 'integer', default: 0 })
  attempts: Opt<number> = 0;

  /** Tries made ever: the job id suffix of the next try, never reused (a replay keeps counting). */
  @Property({ type: 'integer', default: 0 })
  seq: Opt<number> = 0;

  /** When the next try is due (pending rows). */
  @Property({ type: 'datetime' })
  nextAttemptAt!: Date;

  @Property({ type: 'text', nullable: true })
  lastError: Opt<string> | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatus: Opt<number> | null = null;

  @Property({ type: 'datetime', nullable: true })
  deliveredAt: Opt<Date> | null = null;

  @Property({ type: 'datetime', nullable: true })
  deadAt: Opt<Date> | null = null;
}
