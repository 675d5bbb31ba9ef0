import { Migration } from '@mikro-orm/migrations';

export class Migration20261203181430 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."step_delivery" add column "replays" int not null default 0, add column "replay_requested_at" timestamptz null;`);
    this.addSql(`create index "step_delivery_replay_requested_at_index" on actions.step_delivery ("replay_requested_at") where "replay_requested_at" is not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "actions"."step_delivery_replay_requested_at_index";`);
    this.addSql(`alter table "actions"."step_delivery" drop column "replays", drop column "replay_requested_at";`);
  }

}
