import { Migration } from '@mikro-orm/migrations';

export class Migration20261125100316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "gateway";`);
    this.addSql(`create table "gateway"."api_key" ("id" uuid not null, "tenant_id" varchar(64) not null, "hash" varchar(64) not null, "prefix" varchar(16) not null, "scopes" jsonb not null, "label" varchar(128) null, "created_at" timestamptz not null, "revoked_at" timestamptz null, constraint "api_key_pkey" primary key ("id"));`);
    this.addSql(`create index "api_key_tenant_id_index" on "gateway"."api_key" ("tenant_id");`);
    this.addSql(`alter table "gateway"."api_key" add constraint "api_key_hash_unique" unique ("hash");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "gateway"."api_key" cascade;`);

    this.addSql(`drop schema if exists "gateway";`);
  }

}
