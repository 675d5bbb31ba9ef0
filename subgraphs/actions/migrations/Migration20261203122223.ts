import { Migration } from '@mikro-orm/migrations';

export class Migration20261203122223 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "alert_tenant_id_created_at_index" on "actions"."alert" ("tenant_id", "created_at");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "actions"."alert_tenant_id_created_at_index";`);
  }

}
