import { Migration } from '@mikro-orm/migrations';

export class Migration20261203213213 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`drop index "signals"."event_hand_off_pending_since_index";`);
    this.addSql(`drop index "signals"."event_processed_at_enqueued_at_index";`);
  }

  override async down(): Promise<void> {
    this.addSql(`create index "event_hand_off_pending_since_index" on "signals"."event" ("hand_off_pending_since");`);
    this.addSql(`create index "event_processed_at_enqueued_at_index" on "signals"."event" ("processed_at", "enqueued_at");`);
  }

}
