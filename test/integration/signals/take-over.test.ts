import { join } from 'node:path';

import type { Knex } from 'knex';
import { Client } from 'pg';
import { uuidv7 } from 'uuidv7';

import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { createTestEnv, usePostgres, type TestEnv } from '../../fixtures/test-config';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

const T0 = Date.parse('2026-11-25T10:00:00Z');

/** The part of better-sqlite3 (the driver under MikroORM's SQLite, untyped here) the test reads with. */
interface SqliteReader {
  prepare(sql: string): { get(...params: unknown[]): unknown };
  close(): void;
}
const Database = require('better-sqlite3') as new (file: string, options: { readonly: boolean }) => SqliteReader;

/**
 * What a reader of the events table (the pipeline status, the durability test's check, a user's
 * `profileEvents`) may see while a batch is taken over: an event is processed and attributed at
 * once, never processed and still without its profile. The test reads the table on a connection
 * of its own right after each statement the stage sends (synchronously on SQLite; on PostgreSQL
 * the read is on the wire before the stage's next statement), so it sees every intermediate state.
 */
describe('EventRepository.takeOver', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let readUnattributed: (tenantId: string) => number | Promise<number>;
  let closeReader: () => Promise<void>;

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    const sql = (table: string) => `select count(*) as n from ${table} where tenant_id = $1 and processed_at is not null and profile_id is null`;
    if (usePostgres) {
      const client = new Client({ connectionString: env.config.databaseUrl ?? undefined });
      await client.connect();
      readUnattributed = (tenantId) => client.query<{ n: string }>(sql('signals.event'), [tenantId]).then((r) => Number(r.rows[0].n));
      closeReader = () => client.end();
    } else {
      const db = new Database(join(env.config.dataDir, 'signals.sqlite'), { readonly: true });
      const statement = db.prepare(sql('event').replace('$1', '?'));
      readUnattributed = (tenantId) => (statement.get(tenantId) as { n: number }).n;
      closeReader = async () => void db.close();
    }
  });
  afterAll(async () => {
    await closeReader?.();
    await signals?.close();
    await env?.cleanup();
  });

  it('never lets a reader see an event processed without its profile', async () => {
    const tenantId = 'atomic';
    const em = forkAcrossTenants(signals.deps.orm);
    // more than one statement's worth of ids (400 a statement)
    const rows = Array.from({ length: 500 }, (_, i) => {
      const at = new Date(T0 + i * 1000);
      return em.create(Event, { tenantId, messageId: uuidv7(), type: 'track', name: 'Screen Viewed', properties: {}, traits: {}, userId: `u-${i % 50}`, timestamp: at, receivedAt: at, profileId: null }, { persist: false });
    });
    await em.insertMany(rows);
    const profiles = Array.from({ length: 50 }, () => uuidv7());
    const refs = rows.map((e, i) => ({ eventId: e.id, profileId: profiles[i % 50] }));

    const knex = (signals.deps.orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
    const seen: (number | Promise<number>)[] = [];
    const observe = () => void seen.push(readUnattributed(tenantId));
    knex.on('query-response', observe);
    try {
      await eventResolved({ id: 'atomic-1', data: { tenantId, events: refs } }, signals.deps);
    } finally {
      knex.off('query-response', observe);
    }
    const counts = await Promise.all(seen);
    expect(counts.length).toBeGreaterThan(3);
    expect(counts.filter((n) => n > 0)).toEqual([]);

    const stored = await forkAcrossTenants(signals.deps.orm).find(Event, { tenantId }, { orderBy: { id: 'asc' } });
    expect(stored.filter((e) => e.processedAt === null)).toEqual([]);
    expect(stored.map((e) => e.profileId)).toEqual(rows.map((_, i) => profiles[i % 50]));
  });
});
