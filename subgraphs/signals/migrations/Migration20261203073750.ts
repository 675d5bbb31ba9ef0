import { Migration } from '@mikro-orm/migrations';

export class Migration20261203073750 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "signals"."event" add column "playbook_events_pending_since" timestamptz null;`);
    this.addSql(`create index "event_playbook_events_pending_since_index" on signals.event ("playbook_events_pending_since") where "playbook_events_pending_since" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "signals"."event_playbook_events_pending_since_index";`);
    this.addSql(`alter table "signals"."event" drop column "playbook_events_pending_since";`);
  }

}
