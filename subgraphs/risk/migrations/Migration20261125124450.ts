import { Migration } from '@mikro-orm/migrations';

export class Migration20261125124450 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "risk"."activity_event" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "event_id" uuid not null, "type" varchar(16) not null, "name" varchar(255) null, "timestamp" timestamptz not null, "revenue" double precision null, "traits" jsonb not null, constraint "activity_event_pkey" primary key ("id"));`);
    this.addSql(`create index "activity_event_tenant_id_index" on "risk"."activity_event" ("tenant_id");`);
    this.addSql(`create index "activity_event_tenant_id_timestamp_index" on "risk"."activity_event" ("tenant_id", "timestamp");`);
    this.addSql(`create index "activity_event_tenant_id_profile_id_timestamp_index" on "risk"."activity_event" ("tenant_id", "profile_id", "timestamp");`);
    this.addSql(`alter table "risk"."activity_event" add constraint "activity_event_tenant_id_event_id_unique" unique ("tenant_id", "event_id");`);

    this.addSql(`create table "risk"."activity_signal" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "signal_id" uuid not null, "type" varchar(64) not null, "severity" double precision not null, "detected_at" timestamptz not null, "journey_instance_id" uuid null, "summary" varchar(512) not null, constraint "activity_signal_pkey" primary key ("id"));`);
    this.addSql(`create index "activity_signal_tenant_id_index" on "risk"."activity_signal" ("tenant_id");`);
    this.addSql(`create index "activity_signal_tenant_id_profile_id_detected_at_index" on "risk"."activity_signal" ("tenant_id", "profile_id", "detected_at");`);
    this.addSql(`alter table "risk"."activity_signal" add constraint "activity_signal_tenant_id_signal_id_unique" unique ("tenant_id", "signal_id");`);

    this.addSql(`create table "risk"."journey_snapshot" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "instance_id" uuid not null, "journey_id" uuid not null, "journey_name" varchar(255) not null, "state" varchar(16) not null, "step_index" int not null, "step_count" int not null, "step" varchar(64) not null, "step_reached_at" timestamptz not null, "step_sla_ms" double precision null, "started_at" timestamptz not null, "retries" int not null, "ended_at" timestamptz null, "observed_at" timestamptz not null, constraint "journey_snapshot_pkey" primary key ("id"));`);
    this.addSql(`create index "journey_snapshot_tenant_id_index" on "risk"."journey_snapshot" ("tenant_id");`);
    this.addSql(`create index "journey_snapshot_tenant_id_journey_id_instance_id_index" on "risk"."journey_snapshot" ("tenant_id", "journey_id", "instance_id");`);
    this.addSql(`create index "journey_snapshot_tenant_id_profile_id_index" on "risk"."journey_snapshot" ("tenant_id", "profile_id");`);
    this.addSql(`alter table "risk"."journey_snapshot" add constraint "journey_snapshot_tenant_id_instance_id_state_step_index_unique" unique ("tenant_id", "instance_id", "state", "step_index");`);

    this.addSql(`create table "risk"."model_version" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "kind" varchar(16) not null, "version" int not null, "status" varchar(16) not null default 'queued', "active" boolean not null default false, "progress" double precision not null default 0, "settings" jsonb not null, "features" jsonb not null, "params" jsonb null, "metrics" jsonb null, "error" text null, "trained_at" timestamptz null, "activated_at" timestamptz null, constraint "model_version_pkey" primary key ("id"));`);
    this.addSql(`create index "model_version_tenant_id_index" on "risk"."model_version" ("tenant_id");`);
    this.addSql(`create index "model_version_tenant_id_kind_active_index" on "risk"."model_version" ("tenant_id", "kind", "active");`);
    this.addSql(`alter table "risk"."model_version" add constraint "model_version_tenant_id_kind_version_unique" unique ("tenant_id", "kind", "version");`);

    this.addSql(`create table "risk"."segment_member" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "segment_id" uuid not null, "membership_id" uuid not null, "entered_at" timestamptz not null, "exited_at" timestamptz null, constraint "segment_member_pkey" primary key ("id"));`);
    this.addSql(`create index "segment_member_tenant_id_index" on "risk"."segment_member" ("tenant_id");`);
    this.addSql(`create index "segment_member_tenant_id_profile_id_index" on "risk"."segment_member" ("tenant_id", "profile_id");`);
    this.addSql(`alter table "risk"."segment_member" add constraint "segment_member_tenant_id_membership_id_unique" unique ("tenant_id", "membership_id");`);

    this.addSql(`alter table "risk"."risk_score" drop column "model";`);

    this.addSql(`alter table "risk"."risk_score" add column "journey_instance_id" uuid null, add column "probability" double precision not null, add column "p_alive" double precision null, add column "clv" double precision null, add column "revenue_at_risk" double precision null, add column "model_id" uuid null, add column "model_version" int null, add column "model_name" varchar(32) not null;`);
    this.addSql(`create index "risk_score_tenant_id_journey_instance_id_scored_at_index" on "risk"."risk_score" ("tenant_id", "journey_instance_id", "scored_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "risk"."activity_event" cascade;`);

    this.addSql(`drop table if exists "risk"."activity_signal" cascade;`);

    this.addSql(`drop table if exists "risk"."journey_snapshot" cascade;`);

    this.addSql(`drop table if exists "risk"."model_version" cascade;`);

    this.addSql(`drop table if exists "risk"."segment_member" cascade;`);

    this.addSql(`drop index "risk"."risk_score_tenant_id_journey_instance_id_scored_at_index";`);
    this.addSql(`alter table "risk"."risk_score" drop column "journey_instance_id", drop column "probability", drop column "p_alive", drop column "clv", drop column "revenue_at_risk", drop column "model_id", drop column "model_version", drop column "model_name";`);

    this.addSql(`alter table "risk"."risk_score" add column "model" varchar(128) not null;`);
  }

}
