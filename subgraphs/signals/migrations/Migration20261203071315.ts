import { Migration } from '@mikro-orm/migrations';

export class Migration20261203071315 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "signals"."journey_instance" add column "alerts_pending_since" timestamptz null;`);
    this.addSql(`create index "journey_instance_alerts_pending_since_index" on "signals"."journey_instance" ("alerts_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signals"."journey_instance_alerts_pending_since_index";`);
    this.addSql(`alter table "signals"."journey_instance" drop column "alerts_pending_since";`);
  }

}
