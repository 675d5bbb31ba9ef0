import { Migration } from '@mikro-orm/migrations';

export class Migration20261125100316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "profiles";`);
    this.addSql(`create table "profiles"."profile" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "traits" jsonb not null, constraint "profile_pkey" primary key ("id"));`);
    this.addSql(`create index "profile_tenant_id_index" on "profiles"."profile" ("tenant_id");`);

    this.addSql(`create table "profiles"."identity" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "type" varchar(16) not null, "value" varchar(512) not null, "profile_id" uuid not null, constraint "identity_pkey" primary key ("id"));`);
    this.addSql(`create index "identity_tenant_id_index" on "profiles"."identity" ("tenant_id");`);
    this.addSql(`alter table "profiles"."identity" add constraint "identity_tenant_id_type_value_unique" unique ("tenant_id", "type", "value");`);

    this.addSql(`alter table "profiles"."identity" add constraint "identity_profile_id_foreign" foreign key ("profile_id") references "profiles"."profile" ("id") on update cascade on delete cascade;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "profiles"."identity" drop constraint "identity_profile_id_foreign";`);

    this.addSql(`drop table if exists "profiles"."profile" cascade;`);

    this.addSql(`drop table if exists "profiles"."identity" cascade;`);

    this.addSql(`drop schema if exists "profiles";`);
  }

}
