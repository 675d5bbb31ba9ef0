import { Migration } from '@mikro-orm/migrations';

export class Migration20261202125654 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."channel" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(64) not null, "kind" varchar(16) not null, "config" jsonb not null, "secrets" jsonb not null, "enabled" boolean not null default true, "disabled_reason" text null, "disabled_at" timestamptz null, "consecutive_failures" int not null default 0, constraint "channel_pkey" primary key ("id"));`);
    this.addSql(`create index "channel_tenant_id_index" on "actions"."channel" ("tenant_id");`);
    this.addSql(`alter table "actions"."channel" add constraint "channel_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "actions"."webhook_delivery" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "channel_id" uuid not null, "idempotency_key" varchar(200) not null, "event_type" varchar(64) not null, "source_id" varchar(128) not null, "profile_id" uuid null, "payload" jsonb not null, "status" varchar(16) not null default 'pending', "attempts" int not null default 0, "seq" int not null default 0, "next_attempt_at" timestamptz not null, "last_error" text null, "last_status" int null, "delivered_at" timestamptz null, "dead_at" timestamptz null, constraint "webhook_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "webhook_delivery_tenant_id_index" on "actions"."webhook_delivery" ("tenant_id");`);
    this.addSql(`create index "webhook_delivery_tenant_id_channel_id_status_index" on "actions"."webhook_delivery" ("tenant_id", "channel_id", "status");`);
    this.addSql(`create index "webhook_delivery_status_next_attempt_at_index" on "actions"."webhook_delivery" ("status", "next_attempt_at");`);
    this.addSql(`alter table "actions"."webhook_delivery" add constraint "webhook_delivery_tenant_id_idempotency_key_unique" unique ("tenant_id", "idempotency_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."channel" cascade;`);

    this.addSql(`drop table if exists "actions"."webhook_delivery" cascade;`);
  }

}
