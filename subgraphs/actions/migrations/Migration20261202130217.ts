import { Migration } from '@mikro-orm/migrations';

export class Migration20261202130217 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."playbook_run" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "playbook_id" uuid not null, "playbook_version" int not null, "profile_id" uuid not null, "status" varchar(16) not null, "live_key" varchar(8) null default 'live', "step_id" varchar(64) null, "visit" int not null default 0, "next_due_at" timestamptz null, "entered_at" timestamptz null, "waiting_for" jsonb null, "history" jsonb not null, "facts" jsonb not null, "enrolled_by" varchar(128) not null, "end_reason" varchar(500) null, "ended_at" timestamptz null, constraint "playbook_run_pkey" primary key ("id"));`);
    this.addSql(`create index "playbook_run_tenant_id_index" on "actions"."playbook_run" ("tenant_id");`);
    this.addSql(`create index "playbook_run_tenant_id_profile_id_index" on "actions"."playbook_run" ("tenant_id", "profile_id");`);
    this.addSql(`create index "playbook_run_status_next_due_at_index" on "actions"."playbook_run" ("status", "next_due_at");`);
    this.addSql(`alter table "actions"."playbook_run" add constraint "playbook_run_tenant_id_playbook_id_profile_id_live_key_unique" unique ("tenant_id", "playbook_id", "profile_id", "live_key");`);

    this.addSql(`create table "actions"."playbook_version" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "playbook_id" uuid not null, "version" int not null, "current" boolean not null default true, "name" varchar(200) not null, "description" text null, "archived" boolean not null default false, "definition" jsonb not null, constraint "playbook_version_pkey" primary key ("id"));`);
    this.addSql(`create index "playbook_version_tenant_id_index" on "actions"."playbook_version" ("tenant_id");`);
    this.addSql(`create index "playbook_version_tenant_id_current_index" on "actions"."playbook_version" ("tenant_id", "current");`);
    this.addSql(`alter table "actions"."playbook_version" add constraint "playbook_version_tenant_id_playbook_id_version_unique" unique ("tenant_id", "playbook_id", "version");`);

    this.addSql(`create table "actions"."step_delivery" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "run_id" uuid not null, "profile_id" uuid not null, "step_id" varchar(64) not null, "visit" int not null, "channel" varchar(100) not null, "status" varchar(16) not null default 'claimed', "attempts" int not null default 0, "provider_id" varchar(200) null, "error" text null, "finished_at" timestamptz null, constraint "step_delivery_pkey" primary key ("id"));`);
    this.addSql(`create index "step_delivery_tenant_id_index" on "actions"."step_delivery" ("tenant_id");`);
    this.addSql(`create index "step_delivery_tenant_id_profile_id_id_index" on "actions"."step_delivery" ("tenant_id", "profile_id", "id");`);
    this.addSql(`alter table "actions"."step_delivery" add constraint "step_delivery_run_id_step_id_visit_unique" unique ("run_id", "step_id", "visit");`);

    this.addSql(`create table "actions"."task" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "run_id" uuid null, "team" varchar(100) not null, "title" varchar(500) not null, "priority" varchar(16) not null, "status" varchar(16) not null default 'open', "assignee" varchar(200) null, "due_at" timestamptz null, "outcome" varchar(32) null, "note" text null, "completed_at" timestamptz null, "source_key" varchar(200) not null, constraint "task_pkey" primary key ("id"));`);
    this.addSql(`create index "task_tenant_id_index" on "actions"."task" ("tenant_id");`);
    this.addSql(`create index "task_tenant_id_profile_id_id_index" on "actions"."task" ("tenant_id", "profile_id", "id");`);
    this.addSql(`create index "task_tenant_id_status_team_index" on "actions"."task" ("tenant_id", "status", "team");`);
    this.addSql(`alter table "actions"."task" add constraint "task_tenant_id_source_key_unique" unique ("tenant_id", "source_key");`);

    this.addSql(`alter table "actions"."alert_rule" add column "playbook_id" uuid null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."playbook_run" cascade;`);

    this.addSql(`drop table if exists "actions"."playbook_version" cascade;`);

    this.addSql(`drop table if exists "actions"."step_delivery" cascade;`);

    this.addSql(`drop table if exists "actions"."task" cascade;`);

    this.addSql(`alter table "actions"."alert_rule" drop column "playbook_id";`);
  }

}
