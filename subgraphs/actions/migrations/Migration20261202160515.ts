import { Migration } from '@mikro-orm/migrations';

export class Migration20261202160515 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."contact_policy" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "channel" varchar(100) not null, "quiet_start" varchar(5) null, "quiet_end" varchar(5) null, "timezone" varchar(64) not null default 'UTC', "cap_count" int null, "cap_window_seconds" int null, constraint "contact_policy_pkey" primary key ("id"));`);
    this.addSql(`create index "contact_policy_tenant_id_index" on "actions"."contact_policy" ("tenant_id");`);
    this.addSql(`alter table "actions"."contact_policy" add constraint "contact_policy_tenant_id_channel_unique" unique ("tenant_id", "channel");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."contact_policy" cascade;`);
  }

}
