import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import {
  DataloaderType,
  MikroORM,
  type EntityClass,
  type FilterQuery,
  type MigrationObject,
  type Options,
  type RequiredEntityData,
} from '@mikro-orm/core';
import type { AbstractSqlDriver, SqlEntityManager } from '@mikro-orm/knex';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';

import type { Config } from './config';
import type { Shutdown } from './shutdown';
import { seedPlannerStats } from './sqlite-planner-stats';

export type Orm = MikroORM<AbstractSqlDriver>;
export type EntityManager = SqlEntityManager;

/** What a subgraph (or the gateway's key store) brings to the ORM. */
export interface OrmSpec {
  /** Subgraph name: the SQLite file name and the PostgreSQL schema. */
  name: string;
  entities: EntityClass<unknown>[];
  /** Checked-in PostgreSQL migrations, oldest first. */
  migrations: MigrationObject[];
  /** Where `npm run migrations` writes new ones, relative to the project root. */
  migrationsDir: string;
}

/**
 * MikroORM options for one subgraph: `<dataDir>/<name>.sqlite` by default, the PostgreSQL schema
 * `<name>` when `DATABASE_URL` is set. Also used by the migration generator.
 */
export function ormOptions(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  spec: OrmSpec,
  overrides: Partial<Options> = {},
): Options {
  const common: Partial<Options> = {
    entities: spec.entities,
    // N+1 guard for References and Collections loaded by field resolvers
    dataloader: DataloaderType.ALL,
    allowGlobalContext: false,
    forceUtcTimezone: true,
    discovery: { warnWhenNoEntities: false },
    extensions: [Migrator],
    migrations: {
      migrationsList: spec.migrations,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      path: spec.migrationsDir,
      pathTs: spec.migrationsDir,
      emit: 'ts',
      silent: true,
    },
  };
  if (config.databaseUrl) {
    return {
      ...common,
      driver: PostgreSqlDriver,
      clientUrl: config.databaseUrl,
      schema: spec.name,
      ...overrides,
    } as Options;
  }
  mkdirSync(config.dataDir, { recursive: true });
  return {
    ...common,
    driver: BetterSqliteDriver,
    dbName: join(config.dataDir, `${spec.name}.sqlite`),
    // SQLite's planner statistics (see sqlite-planner-stats.ts) are not ours to diff or drop
    schemaGenerator: { skipTables: ['sqlite_stat1', 'sqlite_stat4'] },
    ...overrides,
  } as Options;
}

/**
 * Opens the database and brings its schema up to date: checked-in migrations on PostgreSQL,
 * the schema generator on SQLite (an embedded, single-node default).
 */
export async function initOrm(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  spec: OrmSpec,
  shutdown?: Shutdown,
  overrides: Partial<Options> = {},
): Promise<Orm> {
  const orm = (await MikroORM.init(ormOptions(config, spec, overrides))) as unknown as Orm;
  shutdown?.defer(() => orm.close(true));
  if (config.databaseUrl) {
    await orm.em.getConnection().execute(`create schema if not exists "${spec.name}"`);
    await orm.getMigrator().up();
  } else {
    // WAL lets the worker and the API of one subgraph read while the other writes
    await orm.em.getConnection().execute('pragma journal_mode = wal');
    await orm.getSchemaGenerator().updateSchema();
    // keyed batch writes must use the primary key, not a scan of the tenant (see the module)
    await seedPlannerStats(orm.em.getConnection());
  }
  return orm;
}

/**
 * Inserts a row unless one with the same unique key exists, then returns the stored row: the
 * idempotent write behind every replayable job. Defaults (id, timestamps) come from the entity.
 */
export async function insertOnce<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  data: RequiredEntityData<T>,
  uniqueKey: (keyof T & string)[],
): Promise<T> {
  const row = em.create(entity, data, { persist: false });
  // an entity instance (not a plain object) so its initialisers fill id and timestamps
  await em.upsert(entity, row, { onConflictFields: uniqueKey as never, onConflictAction: 'ignore' });
  const where = Object.fromEntries(uniqueKey.map((k) => [k, row[k]]));
  return em.findOneOrFail(entity, where as FilterQuery<T>, { refresh: true });
}
