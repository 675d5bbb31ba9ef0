import { Migration } from '@mikro-orm/migrations';

export class Migration20261202100041 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."alert_rule_state" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "rule_id" uuid not null, "profile_id" uuid not null, "active" boolean not null default false, "last_trigger_id" varchar(128) null, "last_fired_at" timestamptz null, constraint "alert_rule_state_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_rule_state_tenant_id_index" on "actions"."alert_rule_state" ("tenant_id");`);
    this.addSql(`alter table "actions"."alert_rule_state" add constraint "alert_rule_state_tenant_id_rule_id_profile_id_unique" unique ("tenant_id", "rule_id", "profile_id");`);

    this.addSql(`create table "actions"."alert_rule" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "rule_id" uuid not null, "version" int not null, "current" boolean not null default true, "name" varchar(200) not null, "enabled" boolean not null default true, "archived" boolean not null default false, "severity" varchar(16) not null, "team" varchar(100) not null, "cooldown_seconds" int not null default 0, "trigger" jsonb not null, "conditions" jsonb not null, "built_in" boolean not null default false, constraint "alert_rule_pkey" primary key ("id"));`);
    this.addSql(`create index "alert_rule_tenant_id_index" on "actions"."alert_rule" ("tenant_id");`);
    this.addSql(`create index "alert_rule_tenant_id_current_index" on "actions"."alert_rule" ("tenant_id", "current");`);
    this.addSql(`alter table "actions"."alert_rule" add constraint "alert_rule_tenant_id_rule_id_version_unique" unique ("tenant_id", "rule_id", "version");`);

    this.addSql(`alter table "actions"."alert" add column "severity" varchar(16) not null default 'high', add column "team" varchar(100) not null default 'cx', add column "rule_id" uuid null, add column "rule_version" int null, add column "score_id" varchar(128) null, add column "score_kind" varchar(64) null, add column "previous_score" double precision null, add column "bucket" varchar(16) null, add column "previous_bucket" varchar(16) null, add column "reasons" jsonb not null default '[]', add column "assignee" varchar(200) null, add column "assigned_at" timestamptz null, add column "resolved_at" timestamptz null, add column "outcome" varchar(32) null, add column "note" text null;`);
    this.addSql(`create index "alert_tenant_id_status_index" on "actions"."alert" ("tenant_id", "status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."alert_rule_state" cascade;`);

    this.addSql(`drop table if exists "actions"."alert_rule" cascade;`);

    this.addSql(`drop index "actions"."alert_tenant_id_status_index";`);
    this.addSql(`alter table "actions"."alert" drop column "severity", drop column "team", drop column "rule_id", drop column "rule_version", drop column "score_id", drop column "score_kind", drop column "previous_score", drop column "bucket", drop column "previous_bucket", drop column "reasons", drop column "assignee", drop column "assigned_at", drop column "resolved_at", drop column "outcome", drop column "note";`);
  }

}
