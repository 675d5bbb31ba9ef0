import { Migration } from '@mikro-orm/migrations';

export class Migration20261202160826 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."measurement_settings" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "salt" varchar(64) not null, "global_control_fraction" double precision not null default 0.05, "global_control_period_days" int not null default 30, constraint "measurement_settings_pkey" primary key ("id"));`);
    this.addSql(`create index "measurement_settings_tenant_id_index" on "actions"."measurement_settings" ("tenant_id");`);
    this.addSql(`alter table "actions"."measurement_settings" add constraint "measurement_settings_tenant_id_unique" unique ("tenant_id");`);

    this.addSql(`create table "actions"."playbook_assignment" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "playbook_id" uuid not null, "playbook_version" int not null, "profile_id" uuid not null, "arm" varchar(16) not null, "assigned_at" timestamptz not null, "clv" double precision null, "run_id" uuid null, "outcome_kind" varchar(16) not null, "outcome_event" varchar(200) not null, "revenue_property" varchar(200) null, "window_ends_at" timestamptz not null, "guardrails" jsonb not null, constraint "playbook_assignment_pkey" primary key ("id"));`);
    this.addSql(`create index "playbook_assignment_tenant_id_index" on "actions"."playbook_assignment" ("tenant_id");`);
    this.addSql(`create index "playbook_assignment_tenant_id_playbook_id_assigned_at_index" on "actions"."playbook_assignment" ("tenant_id", "playbook_id", "assigned_at");`);
    this.addSql(`create index "playbook_assignment_tenant_id_profile_id_window_ends_at_index" on "actions"."playbook_assignment" ("tenant_id", "profile_id", "window_ends_at");`);
    this.addSql(`alter table "actions"."playbook_assignment" add constraint "playbook_assignment_tenant_id_playbook_id_profile_id_unique" unique ("tenant_id", "playbook_id", "profile_id");`);

    this.addSql(`create table "actions"."playbook_outcome" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "assignment_id" uuid not null, "playbook_id" uuid not null, "profile_id" uuid not null, "arm" varchar(16) not null, "assigned_at" timestamptz not null, "kind" varchar(16) not null, "event_name" varchar(200) not null, "event_id" varchar(128) not null, "occurred_at" timestamptz not null, "value" double precision null, constraint "playbook_outcome_pkey" primary key ("id"));`);
    this.addSql(`create index "playbook_outcome_tenant_id_index" on "actions"."playbook_outcome" ("tenant_id");`);
    this.addSql(`create index "playbook_outcome_tenant_id_playbook_id_assigned_at_index" on "actions"."playbook_outcome" ("tenant_id", "playbook_id", "assigned_at");`);
    this.addSql(`alter table "actions"."playbook_outcome" add constraint "playbook_outcome_assignment_id_kind_event_id_unique" unique ("assignment_id", "kind", "event_id");`);

    this.addSql(`alter table "actions"."playbook_version" add column "measurement" jsonb null, add column "paused_at" timestamptz null, add column "pause_reason" text null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."measurement_settings" cascade;`);

    this.addSql(`drop table if exists "actions"."playbook_assignment" cascade;`);

    this.addSql(`drop table if exists "actions"."playbook_outcome" cascade;`);

    this.addSql(`alter table "actions"."playbook_version" drop column "measurement", drop column "paused_at", drop column "pause_reason";`);
  }

}
