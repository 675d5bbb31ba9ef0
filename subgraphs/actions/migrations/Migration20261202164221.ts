import { Migration } from '@mikro-orm/migrations';

export class Migration20261202164221 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "actions"."task" add column "escalation_team" varchar(100) null, add column "escalated_at" timestamptz null;`);
    this.addSql(`create index "task_status_escalated_at_due_at_index" on "actions"."task" ("status", "escalated_at", "due_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "actions"."task_status_escalated_at_due_at_index";`);
    this.addSql(`alter table "actions"."task" drop column "escalation_team", drop column "escalated_at";`);
  }

}
