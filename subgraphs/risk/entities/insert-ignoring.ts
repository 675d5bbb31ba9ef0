import type { EntityClass } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';

/**
 * Rows per insert statement: SQLite binds at most 32,766 values, and a statement this size stays
 * well under the ~50 ms a chunk may hold the event loop.
 */
export const ROWS_PER_INSERT = 250;

/** What `insertIgnoring` did: the ids given to the rows, index by index, and which were stored. */
export interface InsertedRows {
  ids: string[];
  /** Ids of rows certainly inserted (their statement inserted every row it had). */
  inserted: string[];
  /** Ids of rows of statements that inserted some of their rows only: which, a read tells. */
  unsure: string[];
}

/**
 * Inserts rows (plain data, property names) with multi-row statements, skipping any whose unique
 * key `conflictOn` is stored already: the idempotent bulk write behind a replayable batch job.
 * Fills the base columns (`id`, `tenantId`, timestamps) the way the entity's initialisers would.
 * Tells which rows were inserted from each statement's count of affected rows (inserted rows,
 * on both databases): all of them, none (a replay), or some (`unsure`).
 */
export async function insertIgnoring<T extends object>(
  em: EntityManager,
  entity: EntityClass<T>,
  tenantId: string,
  rows: readonly Record<string, unknown>[],
  conflictOn: string[],
): Promise<InsertedRows> {
  const now = new Date();
  const full = rows.map((row) => ({ id: uuidv7(), tenantId, createdAt: now, updatedAt: now, ...row }));
  const result: InsertedRows = { ids: full.map((row) => row.id as string), inserted: [], unsure: [] };
  for (let i = 0; i < full.length; i += ROWS_PER_INSERT) {
    const chunk = full.slice(i, i + ROWS_PER_INSERT);
    const { affectedRows } = await em
      .createQueryBuilder(entity)
      .insert(chunk as never)
      .onConflict(conflictOn as never)
      .ignore()
      .execute('run');
    const ids = chunk.map((row) => row.id as string);
    if (affectedRows === chunk.length) result.inserted.push(...ids);
    else if (affectedRows > 0) result.unsure.push(...ids);
  }
  return result;
}
