import { Migration } from '@mikro-orm/migrations';

export class Migration20261203065422 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."alert" add column "trigger_id" varchar(128) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "actions"."alert" drop column "trigger_id";`);
  }

}
