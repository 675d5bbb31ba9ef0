// What the database did during a phase, from PostgreSQL's own statistics views (no change to the
// services: pg_stat_statements is not loaded on our servers). Per database: transactions committed
// and rows read/written (pg_stat_database). Per service (its schema): table scans, i.e. statements
// that read a table by index or sequentially, and rows inserted/updated/deleted (pg_stat_user_tables).
import { Client } from 'pg';

import { sleep } from './stats';

/** Cumulative counters at one moment. */
export interface SqlSnapshot {
  database: { commits: number; rollbacks: number; rowsReturned: number; rowsFetched: number; rowsInserted: number; rowsUpdated: number; rowsDeleted: number };
  /** By schema (one per subgraph). */
  services: Record<string, { scans: number; rowsInserted: number; rowsUpdated: number; rowsDeleted: number }>;
}

/** Reads the counters of one throwaway benchmark database. */
export class SqlFacts {
  private constructor(
    private readonly admin: Client,
    private readonly bench: Client,
    private readonly dbName: string,
  ) {}

  /** `adminUrl` is any database on the server (pg_stat_database is read there, so these reads do not count as the bench database's commits). */
  static async open(adminUrl: string, databaseUrl: string): Promise<SqlFacts> {
    const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
    const bench = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
    await admin.connect();
    await bench.connect();
    return new SqlFacts(admin, bench, new URL(databaseUrl).pathname.slice(1));
  }

  async snapshot(): Promise<SqlSnapshot> {
    const db = await this.admin.query(
      `select xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted from pg_stat_database where datname = $1`,
      [this.dbName],
    );
    const tables = await this.bench.query(
      `select schemaname, sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0))::bigint as scans, sum(n_tup_ins)::bigint as ins, sum(n_tup_upd)::bigint as upd, sum(n_tup_del)::bigint as del
         from pg_stat_user_tables group by schemaname`,
    );
    const r = db.rows[0] ?? {};
    const n = (v: unknown) => Number(v ?? 0);
    return {
      database: {
        commits: n(r.xact_commit),
        rollbacks: n(r.xact_rollback),
        rowsReturned: n(r.tup_returned),
        rowsFetched: n(r.tup_fetched),
        rowsInserted: n(r.tup_inserted),
        rowsUpdated: n(r.tup_updated),
        rowsDeleted: n(r.tup_deleted),
      },
      services: Object.fromEntries(
        tables.rows.map((t) => [t.schemaname as string, { scans: n(t.scans), rowsInserted: n(t.ins), rowsUpdated: n(t.upd), rowsDeleted: n(t.del) }]),
      ),
    };
  }

  /**
   * A snapshot once the counters have settled: a PostgreSQL 15 backend that goes idle may hold its
   * counters up to 10 s before reporting them, so this reads until two reads 1 s apart agree (at
   * most `maxMs`).
   */
  async settledSnapshot(maxMs = 12_000): Promise<SqlSnapshot> {
    const until = performance.now() + maxMs;
    let last = await this.snapshot();
    while (performance.now() < until) {
      await sleep(1000);
      const next = await this.snapshot();
      if (JSON.stringify(next) === JSON.stringify(last)) return next;
      last = next;
    }
    return last;
  }

  async close(): Promise<void> {
    await Promise.all([this.admin.end().catch(() => undefined), this.bench.end().catch(() => undefined)]);
  }
}

/** Per-event deltas between two snapshots: per database and per service. */
export function sqlPerEvent(before: SqlSnapshot, after: SqlSnapshot, events: number) {
  const per = (a: number, b: number) => Math.round(((b - a) / Math.max(1, events)) * 100) / 100;
  const d = (k: keyof SqlSnapshot['database']) => per(before.database[k], after.database[k]);
  const services: Record<string, { scans: number; rowsWritten: number }> = {};
  for (const [name, s] of Object.entries(after.services)) {
    const b = before.services[name] ?? { scans: 0, rowsInserted: 0, rowsUpdated: 0, rowsDeleted: 0 };
    services[name] = { scans: per(b.scans, s.scans), rowsWritten: per(b.rowsInserted + b.rowsUpdated + b.rowsDeleted, s.rowsInserted + s.rowsUpdated + s.rowsDeleted) };
  }
  return {
    commits: d('commits'),
    rowsReturned: d('rowsReturned'),
    rowsFetched: d('rowsFetched'),
    rowsInserted: d('rowsInserted'),
    rowsUpdated: d('rowsUpdated'),
    rowsDeleted: d('rowsDeleted'),
    services,
  };
}
