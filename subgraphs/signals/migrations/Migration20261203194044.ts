import { Migration } from '@mikro-orm/migrations';

export class Migration20261203194044 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "event_hand_off_pending_index" on signals.event ("tenant_id", "received_at") where "hand_off_pending_since" is not null;`);
    this.addSql(`create index "event_unprocessed_index" on signals.event ("tenant_id", "received_at") where "processed_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signals"."event_hand_off_pending_index";`);
    this.addSql(`drop index "signals"."event_unprocessed_index";`);
  }

}
