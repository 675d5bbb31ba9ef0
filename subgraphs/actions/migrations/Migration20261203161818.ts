import { Migration } from '@mikro-orm/migrations';

export class Migration20261203161818 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "step_delivery_tenant_id_id_index" on "actions"."step_delivery" ("tenant_id", "id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "actions"."step_delivery_tenant_id_id_index";`);
  }

}
