import { Migration } from '@mikro-orm/migrations';

export class Migration20261202165937 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."playbook_run" add column "definition" jsonb null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "actions"."playbook_run" drop column "definition";`);
  }

}
