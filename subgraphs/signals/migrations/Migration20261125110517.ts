import { Migration } from '@mikro-orm/migrations';

export class Migration20261125110517 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "signals"."event" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "message_id" varchar(255) not null, "type" varchar(16) not null, "name" varchar(255) null, "user_id" varchar(255) null, "anonymous_id" varchar(255) null, "previous_id" varchar(255) null, "group_id" varchar(255) null, "properties" jsonb not null, "traits" jsonb not null, "context" jsonb not null, "timestamp" timestamptz not null, "original_timestamp" timestamptz null, "sent_at" timestamptz null, "received_at" timestamptz not null, "profile_id" uuid null, "enqueued_at" timestamptz null, "processed_at" timestamptz null, constraint "event_pkey" primary key ("id"));`);
    this.addSql(`create index "event_tenant_id_index" on "signals"."event" ("tenant_id");`);
    this.addSql(`create index "event_processed_at_enqueued_at_index" on "signals"."event" ("processed_at", "enqueued_at");`);
    this.addSql(`create index "event_tenant_id_profile_id_timestamp_index" on "signals"."event" ("tenant_id", "profile_id", "timestamp");`);
    this.addSql(`alter table "signals"."event" add constraint "event_tenant_id_message_id_unique" unique ("tenant_id", "message_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signals"."event" cascade;`);
  }

}
