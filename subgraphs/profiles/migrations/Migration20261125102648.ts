import { Migration } from '@mikro-orm/migrations';

export class Migration20261125102648 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "profiles"."profile_event" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "event_id" uuid not null, "type" varchar(16) not null, "name" varchar(255) null, "timestamp" timestamptz not null, "revenue" double precision null, constraint "profile_event_pkey" primary key ("id"));`);
    this.addSql(`create index "profile_event_tenant_id_index" on "profiles"."profile_event" ("tenant_id");`);
    this.addSql(`create index "profile_event_tenant_id_profile_id_name_timestamp_index" on "profiles"."profile_event" ("tenant_id", "profile_id", "name", "timestamp");`);
    this.addSql(`alter table "profiles"."profile_event" add constraint "profile_event_tenant_id_event_id_unique" unique ("tenant_id", "event_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "profiles"."profile_event" cascade;`);
  }

}
