import { Migration } from '@mikro-orm/migrations';

export class Migration20261203070527 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "profiles"."segment_membership" add column "entry_alerts_pending_since" timestamptz null, add column "exit_alerts_pending_since" timestamptz null;`);
    this.addSql(`create index "segment_membership_exit_alerts_pending_since_index" on "profiles"."segment_membership" ("exit_alerts_pending_since");`);
    this.addSql(`create index "segment_membership_entry_alerts_pending_since_index" on "profiles"."segment_membership" ("entry_alerts_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "profiles"."segment_membership_exit_alerts_pending_since_index";`);
    this.addSql(`drop index "profiles"."segment_membership_entry_alerts_pending_since_index";`);
    this.addSql(`alter table "profiles"."segment_membership" drop column "entry_alerts_pending_since", drop column "exit_alerts_pending_since";`);
  }

}
