import type { EntityClass } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';

/**
 * Rows per insert statement: SQLite binds at most 32,766 values, and a statement this size stays
 * well under the ~50 ms a chunk may hold the event loop.
 */
export const ROWS_PER_INSERT = 250;

/**
 * Inserts rows (plain data, property names) with multi-row statements, skipping any whose unique
 * key `conflictOn` is stored already: the idempotent bulk write behind a replayable batch job.
 * Fills the base columns (`id`, `tenantId`, timestamps) the way the entity's initialisers would.
 * Returns the ids given to the rows (whether or not a row was new).
 */
export async function insertIgnoring<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  tenantId: string,
  rows: readonly Record<string, unknown>[],
  conflictOn: string[],
): Promise<string[]> {
  const now = new Date();
  const full = rows.map((row) => ({ id: uuidv7(), tenantId, createdAt: now, updatedAt: now, ...row }));
  for (let i = 0; i < full.length; i += ROWS_PER_INSERT) {
    await em
      .createQueryBuilder(entity)
      .insert(full.slice(i, i + ROWS_PER_INSERT) as never)
      .onConflict(conflictOn as never)
      .ignore()
      .execute();
  }
  return full.map((row) => row.id as string);
}
