import { Migration } from '@mikro-orm/migrations';

export class Migration20261125100316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "actions";`);
    this.addSql(`create table "actions"."alert" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "type" varchar(64) not null, "score" double precision not null, "message" text not null, "status" varchar(16) not null default 'open', "acknowledged_at" timestamptz null, "source_key" varchar(128) not null, constraint "alert_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_tenant_id_index" on "actions"."alert" ("tenant_id");`);
    this.addSql(`create index "alert_tenant_id_profile_id_created_at_index" on "actions"."alert" ("tenant_id", "profile_id", "created_at");`);
    this.addSql(`alter table "actions"."alert" add constraint "alert_tenant_id_source_key_unique" unique ("tenant_id", "source_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."alert" cascade;`);

    this.addSql(`drop schema if exists "actions";`);
  }

}
