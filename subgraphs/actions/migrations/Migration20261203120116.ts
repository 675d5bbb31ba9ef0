import { Migration } from '@mikro-orm/migrations';

export class Migration20261203120116 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."alert" add column "customer_acted_at" timestamptz null;`);

    this.addSql(`alter table "actions"."measurement_settings" add column "support_events" jsonb not null default '["Ticket Created","Support Ticket Created","Support Contacted"]', add column "churn_events" jsonb not null default '["Account Closed","Subscription Cancelled"]';`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "actions"."alert" drop column "customer_acted_at";`);

    this.addSql(`alter table "actions"."measurement_settings" drop column "support_events", drop column "churn_events";`);
  }

}
