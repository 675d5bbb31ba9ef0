import { Migration } from '@mikro-orm/migrations';

export class Migration20261202130513 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "profiles"."profile" add column "segments_pending_since" timestamptz null, add column "segments_pending_version" int not null default 0;`);
    this.addSql(`create index "profile_segments_pending_since_index" on "profiles"."profile" ("segments_pending_since");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index "profiles"."profile_segments_pending_since_index";`);
    this.addSql(`alter table "profiles"."profile" drop column "segments_pending_since", drop column "segments_pending_version";`);
  }

}
