import { Migration } from '@mikro-orm/migrations';

export class Migration20261125100316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "signals";`);
    this.addSql(`create table "signals"."signal" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "type" varchar(64) not null, "severity" double precision not null, "detected_at" timestamptz not null, "evidence" jsonb not null, "dedupe_key" varchar(255) not null, constraint "signal_pkey" primary key ("id"));`);
    this.addSql(`create index "signal_tenant_id_index" on "signals"."signal" ("tenant_id");`);
    this.addSql(`create index "signal_tenant_id_profile_id_detected_at_index" on "signals"."signal" ("tenant_id", "profile_id", "detected_at");`);
    this.addSql(`alter table "signals"."signal" add constraint "signal_tenant_id_dedupe_key_unique" unique ("tenant_id", "dedupe_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signals"."signal" cascade;`);

    this.addSql(`drop schema if exists "signals";`);
  }

}
