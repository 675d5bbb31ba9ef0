import { Migration } from '@mikro-orm/migrations';

export class Migration20261203131043 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "actions"."delivery_report" ("id" uuid not null, "tenant_id" varchar(64) not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "delivery_id" uuid not null, "status" varchar(16) not null, "reason" text null, "occurred_at" timestamptz not null, "pending_since" timestamptz null, constraint "delivery_report_pkey" primary key ("id"));`);
    this.addSql(`create index "delivery_report_tenant_id_index" on "actions"."delivery_report" ("tenant_id");`);
    this.addSql(`create index "delivery_report_pending_since_index" on "actions"."delivery_report" ("pending_since");`);
    this.addSql(`alter table "actions"."delivery_report" add constraint "delivery_report_tenant_id_delivery_id_status_unique" unique ("tenant_id", "delivery_id", "status");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "actions"."delivery_report" cascade;`);
  }

}
