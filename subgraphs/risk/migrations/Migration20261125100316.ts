import { Migration } from '@mikro-orm/migrations';

export class Migration20261125100316 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "risk";`);
    this.addSql(`create table "risk"."risk_score" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "profile_id" uuid not null, "kind" varchar(32) not null, "score" double precision not null, "bucket" varchar(16) not null, "reasons" jsonb not null, "model" varchar(128) not null, "scored_at" timestamptz not null, constraint "risk_score_pkey" primary key ("id"));`);
    this.addSql(`create index "risk_score_tenant_id_index" on "risk"."risk_score" ("tenant_id");`);
    this.addSql(`create index "risk_score_tenant_id_profile_id_kind_scored_at_index" on "risk"."risk_score" ("tenant_id", "profile_id", "kind", "scored_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "risk"."risk_score" cascade;`);

    this.addSql(`drop schema if exists "risk";`);
  }

}
