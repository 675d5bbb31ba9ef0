import { Migration } from '@mikro-orm/migrations';

export class Migration20261125110517 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "profiles"."account_group" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "group_id" varchar(255) not null, "traits" jsonb not null, "trait_timestamps" jsonb not null, constraint "account_group_pkey" primary key ("id"));`);
    this.addSql(`create index "account_group_tenant_id_index" on "profiles"."account_group" ("tenant_id");`);
    this.addSql(`alter table "profiles"."account_group" add constraint "account_group_tenant_id_group_id_unique" unique ("tenant_id", "group_id");`);

    this.addSql(`create table "profiles"."group_membership" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "group_id" varchar(255) not null, constraint "group_membership_pkey" primary key ("id"));`);
    this.addSql(`create index "group_membership_tenant_id_index" on "profiles"."group_membership" ("tenant_id");`);
    this.addSql(`create index "group_membership_tenant_id_group_id_index" on "profiles"."group_membership" ("tenant_id", "group_id");`);
    this.addSql(`alter table "profiles"."group_membership" add constraint "group_membership_tenant_id_profile_id_group_id_unique" unique ("tenant_id", "profile_id", "group_id");`);

    this.addSql(`create table "profiles"."profile_merge" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "merged_profile_id" uuid not null, "survivor_profile_id" uuid not null, "reason" varchar(32) not null, "event_id" uuid not null, "merged_at" timestamptz not null, constraint "profile_merge_pkey" primary key ("id"));`);
    this.addSql(`create index "profile_merge_tenant_id_index" on "profiles"."profile_merge" ("tenant_id");`);
    this.addSql(`create index "profile_merge_tenant_id_event_id_index" on "profiles"."profile_merge" ("tenant_id", "event_id");`);
    this.addSql(`create index "profile_merge_tenant_id_survivor_profile_id_index" on "profiles"."profile_merge" ("tenant_id", "survivor_profile_id");`);
    this.addSql(`alter table "profiles"."profile_merge" add constraint "profile_merge_tenant_id_merged_profile_id_unique" unique ("tenant_id", "merged_profile_id");`);

    this.addSql(`create table "profiles"."segment" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "description" text null, "condition" jsonb not null, "time_based" boolean not null, "version" int not null default 1, "checked_through" timestamptz null, constraint "segment_pkey" primary key ("id"));`);
    this.addSql(`create index "segment_tenant_id_index" on "profiles"."segment" ("tenant_id");`);
    this.addSql(`alter table "profiles"."segment" add constraint "segment_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "profiles"."segment_membership" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "segment_id" uuid not null, "profile_id" uuid not null, "entered_at" timestamptz not null, "exited_at" timestamptz null, "current" boolean null default true, "entry_announced" boolean not null default false, "exit_announced" boolean not null default false, constraint "segment_membership_pkey" primary key ("id"));`);
    this.addSql(`create index "segment_membership_tenant_id_index" on "profiles"."segment_membership" ("tenant_id");`);
    this.addSql(`create index "segment_membership_segment_id_current_id_index" on "profiles"."segment_membership" ("segment_id", "current", "id");`);
    this.addSql(`create index "segment_membership_tenant_id_profile_id_current_index" on "profiles"."segment_membership" ("tenant_id", "profile_id", "current");`);
    this.addSql(`alter table "profiles"."segment_membership" add constraint "segment_membership_tenant_id_segment_id_profile_i_7b5bb_unique" unique ("tenant_id", "segment_id", "profile_id", "current");`);

    this.addSql(`alter table "profiles"."segment_membership" add constraint "segment_membership_segment_id_foreign" foreign key ("segment_id") references "profiles"."segment" ("id") on update cascade on delete cascade;`);

    this.addSql(`alter table "profiles"."profile" add column "trait_timestamps" jsonb not null default '{}', add column "computed_traits" jsonb not null default '{}', add column "merged_from" jsonb not null default '[]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "profiles"."segment_membership" drop constraint "segment_membership_segment_id_foreign";`);

    this.addSql(`drop table if exists "profiles"."account_group" cascade;`);

    this.addSql(`drop table if exists "profiles"."group_membership" cascade;`);

    this.addSql(`drop table if exists "profiles"."profile_merge" cascade;`);

    this.addSql(`drop table if exists "profiles"."segment" cascade;`);

    this.addSql(`drop table if exists "profiles"."segment_membership" cascade;`);

    this.addSql(`alter table "profiles"."profile" drop column "trait_timestamps", drop column "computed_traits", drop column "merged_from";`);
  }

}
