import { Migration } from '@mikro-orm/migrations';

export class Migration20261203065422 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "signals"."signal" add column "alerts_pending_since" timestamptz null;`);
    this.addSql(`create index "signal_alerts_pending_since_index" on "signals"."signal" ("alerts_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signals"."signal_alerts_pending_since_index";`);
    this.addSql(`alter table "signals"."signal" drop column "alerts_pending_since";`);
  }

}
