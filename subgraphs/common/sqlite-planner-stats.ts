/**
 * Representative planner statistics for an embedded SQLite database.
 *
 * Without `sqlite_stat1` rows, SQLite guesses that an equality on any indexed column matches about
 * ten rows. Every table here has a `tenant_id` index, so `where tenant_id = ? and id in (…ten
 * ids…)` looked cheaper through the tenant index than through the primary key: each batch stage's
 * keyed UPDATE walked every row the tenant ever stored, and a stage's cost grew with history
 * instead of with the batch. Running ANALYZE does not help a fresh database (empty tables get no
 * statistics), so we write the statistics ourselves, as SQLite documents for pinning query plans
 * ("Manual Control Of Query Plans Using SQLITE_STAT Tables"): a tenant matches many rows, every
 * other column narrows a lot, a unique index's full key matches one row. Only indexes without a
 * row yet get one, so a later ANALYZE (real figures) is kept.
 */

/** Rows a table is assumed to hold; only the ratios between the figures matter to the planner. */
const ASSUMED_ROWS = 1_000_000;

/** Rows one tenant is assumed to hold: a tenant column narrows a search very little. */
const ROWS_PER_TENANT = ASSUMED_ROWS / 10;

/** How much any other indexed column narrows the rows matched so far. */
const OTHER_COLUMN_NARROWING = 100;

/**
 * How much smaller than its table a partial index is assumed to be. Ours hold only the rows in
 * flight (`where processed_at is null`, `where … is not null` on a hand-off marker); counted as
 * big as their table, a sweep that crosses tenants looked no cheaper through them than a walk of
 * the whole table in primary key order.
 */
const PARTIAL_INDEX_NARROWING = 1000;

export interface IndexShape {
  name: string;
  table: string;
  columns: string[];
  unique: boolean;
  /** A partial index (`create index … where …`): it holds a small part of the table. */
  partial?: boolean;
}

/**
 * The `sqlite_stat1.stat` text for one index: the table's rows, then the rows matched by an
 * equality on the first 1, 2, … columns.
 */
export function indexStat(index: IndexShape): string {
  let rows = index.partial ? ASSUMED_ROWS / PARTIAL_INDEX_NARROWING : ASSUMED_ROWS;
  const figures = [rows];
  index.columns.forEach((column, i) => {
    const last = i === index.columns.length - 1;
    if (last && index.unique) rows = 1;
    else if (column === 'tenant_id') rows = Math.min(rows, ROWS_PER_TENANT);
    else rows = Math.max(1, Math.floor(rows / OTHER_COLUMN_NARROWING));
    figures.push(rows);
  });
  return figures.join(' ');
}

/** The statement runner this needs: better-sqlite3 through MikroORM's connection. */
export interface SqlRunner {
  execute(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Writes a statistics row for every index (and table) that has none, then makes the open
 * connection reload them. Idempotent; a few milliseconds at startup.
 */
export async function seedPlannerStats(db: SqlRunner): Promise<number> {
  // ANALYZE of a table that does not exist creates sqlite_stat1 without reading any data
  await db.execute('analyze sqlite_schema');
  const tables = (await db.execute(
    `select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like 'mikro_orm_%'`,
  )) as { name: string }[];
  const existing = new Set(
    ((await db.execute('select tbl, idx from sqlite_stat1')) as { tbl: string; idx: string | null }[]).map((r) => `${r.tbl}/${r.idx ?? ''}`),
  );
  let written = 0;
  for (const { name: table } of tables) {
    if (!existing.has(`${table}/`)) {
      await db.execute('insert into sqlite_stat1 (tbl, idx, stat) values (?, null, ?)', [table, String(ASSUMED_ROWS)]);
      written++;
    }
    const indexes = (await db.execute(`select name, "unique" as u, partial from pragma_index_list(?)`, [table])) as { name: string; u: number; partial: number }[];
    for (const { name, u, partial } of indexes) {
      if (existing.has(`${table}/${name}`)) continue;
      const columns = ((await db.execute('select name from pragma_index_info(?) order by seqno', [name])) as { name: string }[]).map((c) => c.name);
      if (columns.length === 0) continue;
      await db.execute('insert into sqlite_stat1 (tbl, idx, stat) values (?, ?, ?)', [table, name, indexStat({ name, table, columns, unique: u === 1, partial: partial === 1 })]);
      written++;
    }
  }
  // the planner reads sqlite_stat1 when the schema is loaded: reload it on this connection
  if (written) await db.execute('analyze sqlite_schema');
  return written;
}
