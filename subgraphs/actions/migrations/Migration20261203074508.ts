import { Migration } from '@mikro-orm/migrations';

export class Migration20261203074508 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."step_delivery" add column "outcome_event_pending_since" timestamptz null;`);
    this.addSql(`create index "step_delivery_outcome_event_pending_since_index" on actions.step_delivery ("outcome_event_pending_since") where "outcome_event_pending_since" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "actions"."step_delivery_outcome_event_pending_since_index";`);
    this.addSql(`alter table "actions"."step_delivery" drop column "outcome_event_pending_since";`);
  }

}
