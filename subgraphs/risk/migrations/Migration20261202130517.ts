import { Migration } from '@mikro-orm/migrations';

export class Migration20261202130517 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "risk"."risk_score" add column "traits_pending_since" timestamptz null;`);
    this.addSql(`create index "risk_score_traits_pending_since_index" on "risk"."risk_score" ("traits_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "risk"."risk_score_traits_pending_since_index";`);
    this.addSql(`alter table "risk"."risk_score" drop column "traits_pending_since";`);
  }

}
