import { Migration } from '@mikro-orm/migrations';

export class Migration20261203071818 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."segment_stay" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "membership_id" uuid not null, "profile_id" uuid not null, "segment_id" uuid not null, "exited_at" timestamptz null, constraint "segment_stay_pkey" primary key ("id"));`);
    this.addSql(`create index "segment_stay_tenant_id_index" on "actions"."segment_stay" ("tenant_id");`);
    this.addSql(`create index "segment_stay_tenant_id_profile_id_exited_at_index" on "actions"."segment_stay" ("tenant_id", "profile_id", "exited_at");`);
    this.addSql(`alter table "actions"."segment_stay" add constraint "segment_stay_tenant_id_membership_id_unique" unique ("tenant_id", "membership_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."segment_stay" cascade;`);
  }

}
