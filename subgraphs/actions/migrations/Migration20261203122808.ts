import { Migration } from '@mikro-orm/migrations';

export class Migration20261203122808 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."alert" add column "signal_at" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "actions"."alert" drop column "signal_at";`);
  }

}
