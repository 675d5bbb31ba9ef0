import { Migration } from '@mikro-orm/migrations';

export class Migration20261202023626 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "signals"."event" add column "hand_off_pending_since" timestamptz null;`);
    this.addSql(`create index "event_hand_off_pending_since_index" on "signals"."event" ("hand_off_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signals"."event_hand_off_pending_since_index";`);
    this.addSql(`alter table "signals"."event" drop column "hand_off_pending_since";`);
  }

}
