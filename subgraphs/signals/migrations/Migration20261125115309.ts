import { Migration } from '@mikro-orm/migrations';

export class Migration20261125115309 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "signals"."friction_settings" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "overrides" jsonb not null, constraint "friction_settings_pkey" primary key ("id"));`);
    this.addSql(`create index "friction_settings_tenant_id_index" on "signals"."friction_settings" ("tenant_id");`);
    this.addSql(`alter table "signals"."friction_settings" add constraint "friction_settings_tenant_id_unique" unique ("tenant_id");`);

    this.addSql(`create table "signals"."journey_definition" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "name" varchar(200) not null, "description" text null, "steps" jsonb not null, "completion_step" varchar(64) not null, "sla_ms" double precision not null, "retry_loop" jsonb not null, "session_timeout_ms" double precision not null, "version" int not null default 1, constraint "journey_definition_pkey" primary key ("id"));`);
    this.addSql(`create index "journey_definition_tenant_id_index" on "signals"."journey_definition" ("tenant_id");`);
    this.addSql(`alter table "signals"."journey_definition" add constraint "journey_definition_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "signals"."journey_event" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "definition_id" uuid not null, "profile_id" uuid not null, "event_id" uuid not null, "event_name" varchar(255) not null, "timestamp" timestamptz not null, "steps" jsonb not null, "failures" jsonb not null, constraint "journey_event_pkey" primary key ("id"));`);
    this.addSql(`create index "journey_event_tenant_id_index" on "signals"."journey_event" ("tenant_id");`);
    this.addSql(`create index "journey_event_tenant_id_definition_id_profile_id_t_4a74c_index" on "signals"."journey_event" ("tenant_id", "definition_id", "profile_id", "timestamp");`);
    this.addSql(`alter table "signals"."journey_event" add constraint "journey_event_tenant_id_definition_id_event_id_unique" unique ("tenant_id", "definition_id", "event_id");`);

    this.addSql(`create table "signals"."journey_instance" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "definition_id" uuid not null, "profile_id" uuid not null, "state" varchar(16) not null default 'active', "current_step" varchar(64) not null, "current_step_index" int not null, "step_times" jsonb not null, "start_event_id" uuid not null, "last_event_id" uuid not null, "started_at" timestamptz not null, "last_event_at" timestamptz not null, "last_seen_at" timestamptz not null, "completed_at" timestamptz null, "stalled_step" varchar(64) null, "stalled_at" timestamptz null, "exited_at" timestamptz null, "abandoned_at" timestamptz null, "loop_reports" jsonb not null, "next_check_at" timestamptz null, constraint "journey_instance_pkey" primary key ("id"));`);
    this.addSql(`create index "journey_instance_tenant_id_index" on "signals"."journey_instance" ("tenant_id");`);
    this.addSql(`create index "journey_instance_next_check_at_index" on "signals"."journey_instance" ("next_check_at");`);
    this.addSql(`create index "journey_instance_tenant_id_next_check_at_index" on "signals"."journey_instance" ("tenant_id", "next_check_at");`);
    this.addSql(`create index "journey_instance_tenant_id_definition_id_profile_i_4bc35_index" on "signals"."journey_instance" ("tenant_id", "definition_id", "profile_id", "started_at");`);
    this.addSql(`create index "journey_instance_tenant_id_definition_id_started_at_index" on "signals"."journey_instance" ("tenant_id", "definition_id", "started_at");`);
    this.addSql(`create index "journey_instance_tenant_id_profile_id_state_index" on "signals"."journey_instance" ("tenant_id", "profile_id", "state");`);
    this.addSql(`alter table "signals"."journey_instance" add constraint "journey_instance_tenant_id_definition_id_start_event_id_unique" unique ("tenant_id", "definition_id", "start_event_id");`);

    this.addSql(`create table "signals"."journey_step" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "definition_id" uuid not null, "instance_id" uuid not null, "instance_started_at" timestamptz not null, "step_index" int not null, "step_key" varchar(64) not null, "reached_at" timestamptz not null, "duration_ms" double precision null, constraint "journey_step_pkey" primary key ("id"));`);
    this.addSql(`create index "journey_step_tenant_id_index" on "signals"."journey_step" ("tenant_id");`);
    this.addSql(`create index "journey_step_instance_id_index" on "signals"."journey_step" ("instance_id");`);
    this.addSql(`create index "journey_step_tenant_id_definition_id_step_index_du_2c1d8_index" on "signals"."journey_step" ("tenant_id", "definition_id", "step_index", "duration_ms");`);

    this.addSql(`alter table "signals"."signal" add column "journey_instance_id" uuid null, add column "announced_at" timestamptz null, add column "announce_claimed_at" timestamptz null;`);
    this.addSql(`create index "signal_tenant_id_detected_at_id_index" on "signals"."signal" ("tenant_id", "detected_at", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "signals"."friction_settings" cascade;`);

    this.addSql(`drop table if exists "signals"."journey_definition" cascade;`);

    this.addSql(`drop table if exists "signals"."journey_event" cascade;`);

    this.addSql(`drop table if exists "signals"."journey_instance" cascade;`);

    this.addSql(`drop table if exists "signals"."journey_step" cascade;`);

    this.addSql(`drop index "signals"."signal_tenant_id_detected_at_id_index";`);
    this.addSql(`alter table "signals"."signal" drop column "journey_instance_id", drop column "announced_at", drop column "announce_claimed_at";`);
  }

}
