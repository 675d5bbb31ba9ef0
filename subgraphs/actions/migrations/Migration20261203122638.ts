import { Migration } from '@mikro-orm/migrations';

export class Migration20261203122638 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."experiment" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "playbook_id" uuid not null, "key" varchar(64) not null, "playbook_version" int not null, "definition" jsonb not null, "sequential" jsonb not null, "last_look_at" timestamptz null, "winner_arm" varchar(32) null, "winner_decided_at" timestamptz null, "winner_decision" jsonb null, constraint "experiment_pkey" primary key ("id"));`);
    this.addSql(`create index "experiment_tenant_id_index" on "actions"."experiment" ("tenant_id");`);
    this.addSql(`alter table "actions"."experiment" add constraint "experiment_tenant_id_playbook_id_key_unique" unique ("tenant_id", "playbook_id", "key");`);

    this.addSql(`create table "actions"."experiment_assignment" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "experiment_id" uuid not null, "playbook_id" uuid not null, "playbook_version" int not null, "profile_id" uuid not null, "arm" varchar(32) not null, "after_winner" boolean not null default false, "run_id" uuid not null, "assigned_at" timestamptz not null, "window_ends_at" timestamptz not null, "goal_event" varchar(200) not null, "goal_where" jsonb not null, constraint "experiment_assignment_pkey" primary key ("id"));`);
    this.addSql(`create index "experiment_assignment_tenant_id_index" on "actions"."experiment_assignment" ("tenant_id");`);
    this.addSql(`create index "experiment_assignment_tenant_id_experiment_id_arm_index" on "actions"."experiment_assignment" ("tenant_id", "experiment_id", "arm");`);
    this.addSql(`create index "experiment_assignment_tenant_id_profile_id_window_ends_at_index" on "actions"."experiment_assignment" ("tenant_id", "profile_id", "window_ends_at");`);
    this.addSql(`alter table "actions"."experiment_assignment" add constraint "experiment_assignment_tenant_id_experiment_id_profile_id_unique" unique ("tenant_id", "experiment_id", "profile_id");`);

    this.addSql(`create table "actions"."experiment_conversion" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "assignment_id" uuid not null, "experiment_id" uuid not null, "profile_id" uuid not null, "arm" varchar(32) not null, "event_id" varchar(128) not null, "occurred_at" timestamptz not null, "assigned_at" timestamptz not null, constraint "experiment_conversion_pkey" primary key ("id"));`);
    this.addSql(`create index "experiment_conversion_tenant_id_index" on "actions"."experiment_conversion" ("tenant_id");`);
    this.addSql(`create index "experiment_conversion_tenant_id_experiment_id_arm_index" on "actions"."experiment_conversion" ("tenant_id", "experiment_id", "arm");`);
    this.addSql(`alter table "actions"."experiment_conversion" add constraint "experiment_conversion_assignment_id_event_id_unique" unique ("assignment_id", "event_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."experiment" cascade;`);

    this.addSql(`drop table if exists "actions"."experiment_assignment" cascade;`);

    this.addSql(`drop table if exists "actions"."experiment_conversion" cascade;`);
  }

}
