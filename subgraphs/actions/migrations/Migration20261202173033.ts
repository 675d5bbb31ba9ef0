import { Migration } from '@mikro-orm/migrations';

export class Migration20261202173033 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."playbook_version" add column "guardrails_from" timestamptz null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "actions"."playbook_version" drop column "guardrails_from";`);
  }

}
