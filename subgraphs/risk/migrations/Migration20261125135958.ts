import { Migration } from '@mikro-orm/migrations';

export class Migration20261125135958 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "risk"."risk_score" add column "follows" varchar(80) null;`);
    this.addSql(`alter table "risk"."risk_score" add constraint "risk_score_tenant_id_follows_unique" unique ("tenant_id", "follows");`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "risk"."risk_score" drop constraint "risk_score_tenant_id_follows_unique";`);
    this.addSql(`alter table "risk"."risk_score" drop column "follows";`);
  }

}
