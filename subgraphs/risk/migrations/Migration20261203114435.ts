import { Migration } from '@mikro-orm/migrations';

export class Migration20261203114435 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "risk"."model_version" add column "status_reason" varchar(255) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "risk"."model_version" drop column "status_reason";`);
  }

}
