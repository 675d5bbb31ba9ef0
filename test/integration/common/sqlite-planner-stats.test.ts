import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import { indexStat } from '../../../subgraphs/common/sqlite-planner-stats';
import { riskSubgraph } from '../../../subgraphs/risk';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { createTestEnv, usePostgres, type TestEnv } from '../../fixtures/test-config';

describe('indexStat', () => {
  it('makes a tenant unselective, other columns selective and a unique key match one row', () => {
    expect(indexStat({ name: 'i', table: 't', columns: ['tenant_id'], unique: false })).toBe('1000000 100000');
    expect(indexStat({ name: 'i', table: 't', columns: ['tenant_id', 'profile_id', 'timestamp'], unique: false })).toBe('1000000 100000 1000 10');
    expect(indexStat({ name: 'i', table: 't', columns: ['tenant_id', 'dedupe_key'], unique: true })).toBe('1000000 100000 1');
    expect(indexStat({ name: 'i', table: 't', columns: ['id'], unique: true })).toBe('1000000 1');
  });

  it('counts a partial index as a small part of its table', () => {
    expect(indexStat({ name: 'i', table: 't', columns: ['tenant_id', 'received_at'], unique: false, partial: true })).toBe('1000 1000 10');
  });
});

// the planner statistics are SQLite's own; PostgreSQL keeps real ones with autovacuum
(usePostgres ? describe.skip : describe)('SQLite planner statistics seeded by initOrm', () => {
  let env: TestEnv;
  const orms: Orm[] = [];
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(async () => {
    for (const orm of orms) await orm.close(true);
    await env?.cleanup();
  });

  const plan = async (orm: Orm, sql: string) =>
    ((await orm.em.getConnection().execute(`explain query plan ${sql}`)) as { detail: string }[]).map((r) => r.detail).join(' | ');
  const tenIds = Array.from({ length: 10 }, (_, i) => `'0190a5e0-0000-7000-8000-00000000000${i}'`).join(', ');

  it('sends keyed batch writes down the primary key, not through every event of the tenant', async () => {
    const orm = await initOrm(env.config, signalsSubgraph.orm);
    orms.push(orm);
    // the detect stage's hand-off UPDATE: without statistics SQLite chose the tenant_id index
    const update = await plan(orm, `update event set processed_at = 1 where tenant_id = 't' and id in (${tenIds}) and processed_at is null`);
    expect(update).toMatch(/USING (INDEX|PRIMARY KEY) sqlite_autoindex_event_1 \(id=\?\)/);
    // the handed-on watermark's probe: the partial index of unprocessed events, not the tenant's history
    const handedOn = await plan(orm, `select tenant_id, min(received_at) from event where tenant_id = 't' and processed_at is null group by tenant_id`);
    expect(handedOn).toMatch(/USING (COVERING )?INDEX event_unprocessed_index/);
  });

  it('sends the sweeps that cross tenants through the partial indexes of events in flight, not through every event', async () => {
    const orm = await initOrm(env.config, signalsSubgraph.orm);
    orms.push(orm);
    // the outbox sweep (unprocessed events whose job may be lost) and the hand-off sweep (batches
    // risk never acknowledged): there is no full index on either column any more
    const outbox = await plan(orm, `select * from event where processed_at is null and (enqueued_at is null or enqueued_at < 5) order by id asc limit 500`);
    expect(outbox).toMatch(/USING INDEX event_unprocessed_index/);
    const tenants = await plan(orm, `select distinct tenant_id from event where hand_off_pending_since < 5`);
    expect(tenants).toMatch(/USING (COVERING )?INDEX event_hand_off_pending_index/);
    const handOff = await plan(orm, `select id, tenant_id, profile_id from event where tenant_id = 't' and hand_off_pending_since < 5 and id > 'a' order by id asc limit 500`);
    expect(handOff).toMatch(/USING INDEX event_hand_off_pending_index \(tenant_id=\?\)/);
    const backlog = await plan(orm, `select tenant_id, count(*), min(received_at) from event where processed_at is null group by tenant_id`);
    expect(backlog).toMatch(/event_unprocessed_index/);
  });

  it('covers every subgraph and keeps what is there on the next start', async () => {
    const first = await initOrm(env.config, riskSubgraph.orm);
    orms.push(first);
    const keyed = await plan(first, `select id from risk_score where tenant_id = 't' and id in (${tenIds})`);
    expect(keyed).toMatch(/sqlite_autoindex_risk_score_1 \(id=\?\)/);
    const rows = (await first.em.getConnection().execute('select count(*) as n from sqlite_stat1')) as { n: number }[];
    expect(rows[0].n).toBeGreaterThan(5);
    const again = await initOrm(env.config, riskSubgraph.orm);
    orms.push(again);
    const after = (await again.em.getConnection().execute('select count(*) as n from sqlite_stat1')) as { n: number }[];
    expect(after[0].n).toBe(rows[0].n);
  });
});
