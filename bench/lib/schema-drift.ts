import type { Config } from '../../subgraphs/common/config';
import { initOrm, type OrmSpec } from '../../subgraphs/common/orm';

/**
 * PostgreSQL only: applies the checked-in migrations of `spec`, then compares the result with its
 * entities. When the migrations lag behind (an entity without its migration yet), the missing
 * DDL is applied from the entities with the schema generator (additions only, nothing dropped),
 * so the benchmark can run, and the statements are returned for the report to flag. Empty when
 * the migrations are current. Run it on a fresh database before anything else opens the schema.
 */
export async function applyMissingSchema(config: Readonly<Config>, spec: OrmSpec): Promise<string[]> {
  if (!config.databaseUrl) return [];
  const orm = await initOrm(config, spec);
  try {
    const generator = orm.getSchemaGenerator();
    const options = { safe: true, dropTables: false, wrap: false, schema: spec.name };
    const sql = (await generator.getUpdateSchemaSQL(options)).trim();
    if (!sql) return [];
    await generator.updateSchema(options);
    return sql
      .split(/;\s*\n/)
      .map((s) => s.trim())
      .filter(Boolean);
  } finally {
    await orm.close(true);
  }
}
