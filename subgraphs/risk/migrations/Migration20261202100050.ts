import { Migration } from '@mikro-orm/migrations';

export class Migration20261202100050 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "risk"."risk_score" add column "follow_up_pending_since" timestamptz null;`);
    this.addSql(`create index "risk_score_follow_up_pending_since_index" on "risk"."risk_score" ("follow_up_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "risk"."risk_score_follow_up_pending_since_index";`);
    this.addSql(`alter table "risk"."risk_score" drop column "follow_up_pending_since";`);
  }

}
