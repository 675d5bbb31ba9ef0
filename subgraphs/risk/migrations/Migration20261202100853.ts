import { Migration } from '@mikro-orm/migrations';

export class Migration20261202100853 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "risk"."profile_feature_state" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "state" text null, "purchase_events" text not null, constraint "profile_feature_state_pkey" primary key ("id"));`);
    this.addSql(`create index "profile_feature_state_tenant_id_index" on "risk"."profile_feature_state" ("tenant_id");`);
    this.addSql(`alter table "risk"."profile_feature_state" add constraint "profile_feature_state_tenant_id_profile_id_unique" unique ("tenant_id", "profile_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "risk"."profile_feature_state" cascade;`);
  }

}
