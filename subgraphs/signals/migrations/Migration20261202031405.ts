import { Migration } from '@mikro-orm/migrations';

export class Migration20261202031405 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "signals"."profile_alias" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "merged_profile_id" uuid not null, "survivor_profile_id" uuid not null, constraint "profile_alias_pkey" primary key ("id"));`);
    this.addSql(`create index "profile_alias_tenant_id_index" on "signals"."profile_alias" ("tenant_id");`);
    this.addSql(`alter table "signals"."profile_alias" add constraint "profile_alias_tenant_id_merged_profile_id_unique" unique ("tenant_id", "merged_profile_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signals"."profile_alias" cascade;`);
  }

}
