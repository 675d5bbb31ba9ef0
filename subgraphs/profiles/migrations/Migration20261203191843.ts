import { Migration } from '@mikro-orm/migrations';

export class Migration20261203191843 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create index "identity_tenant_id_profile_id_index" on "profiles"."identity" ("tenant_id", "profile_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "profiles"."identity_tenant_id_profile_id_index";`);
  }

}
