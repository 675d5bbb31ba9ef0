import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { Segment } from '../../../subgraphs/profiles/entities/segment.entity';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

describe('tenant filter (forkForTenant, forkAcrossTenants)', () => {
  let env: TestEnv;
  let orm: Orm;
  const shutdown = new Shutdown();
  const ids: Record<'a' | 'b', string> = { a: '', b: '' };

  beforeAll(async () => {
    env = await createTestEnv();
    orm = await initOrm(env.config, profilesSubgraph.orm, shutdown);
    for (const tenant of ['a', 'b'] as const) {
      const em = forkForTenant(orm, tenant);
      const profile = em.create(Profile, { tenantId: tenant, traits: { plan: tenant } });
      em.create(Segment, { tenantId: tenant, name: 'Pro', condition: { path: 'traits.plan', op: 'eq', value: 'pro' }, timeBased: false });
      await em.flush();
      ids[tenant] = profile.id;
    }
  });
  afterAll(async () => {
    await shutdown.run();
    await env?.cleanup();
  });

  it('refuses find, findOne, count, nativeUpdate and nativeDelete on a fork without a tenant', async () => {
    const em = orm.em.fork();
    const refused = /No arguments provided for filter 'tenant'/;
    await expect(em.find(Profile, {})).rejects.toThrow(refused);
    await expect(em.findOne(Profile, { id: ids.b })).rejects.toThrow(refused);
    await expect(em.count(Segment, {})).rejects.toThrow(refused);
    await expect(em.nativeUpdate(Profile, { id: ids.b }, { traits: { plan: 'stolen' } })).rejects.toThrow(refused);
    await expect(em.nativeDelete(Segment, {})).rejects.toThrow(refused);
    // and nothing was changed by the refused writes
    const all = await forkAcrossTenants(orm).find(Profile, {}, { orderBy: { tenantId: 'asc' } });
    expect(all.map((p) => [p.tenantId, p.traits])).toEqual([['a', { plan: 'a' }], ['b', { plan: 'b' }]]);
    expect(await forkAcrossTenants(orm).count(Segment, {})).toBe(2);
  });

  it('shows a tenant fork only its own rows, even when the query names another tenant', async () => {
    const em = forkForTenant(orm, 'a');
    expect((await em.find(Profile, {})).map((p) => p.id)).toEqual([ids.a]);
    expect(await em.findOne(Profile, { id: ids.b })).toBeNull();
    expect(await em.find(Profile, { tenantId: 'b' })).toEqual([]);
    expect(await em.count(Segment, {})).toBe(1);
  });

  it('keeps the tenant through a fork of the fork and a transaction', async () => {
    const em = forkForTenant(orm, 'b');
    expect((await em.fork().find(Profile, {})).map((p) => p.id)).toEqual([ids.b]);
    const inTx = await em.transactional((tx) => tx.find(Profile, {}));
    expect(inTx.map((p) => p.id)).toEqual([ids.b]);
  });

  it('limits native writes of a tenant fork to its tenant', async () => {
    const em = forkForTenant(orm, 'a');
    expect(await em.nativeUpdate(Profile, { id: ids.b }, { traits: { plan: 'stolen' } })).toBe(0);
    expect(await em.nativeDelete(Segment, { tenantId: 'b' })).toBe(0);
    const b = await forkForTenant(orm, 'b').findOneOrFail(Profile, { id: ids.b });
    expect(b.traits).toEqual({ plan: 'b' });
    expect(await forkForTenant(orm, 'b').count(Segment, {})).toBe(1);
  });

  it('lets a fork across tenants, or a query with the filter off, read every tenant', async () => {
    expect(await forkAcrossTenants(orm).count(Profile, {})).toBe(2);
    expect(await orm.em.fork().count(Profile, {}, { filters: { tenant: false } })).toBe(2);
  });

  it('refuses an empty tenant id', () => {
    expect(() => forkForTenant(orm, '')).toThrow(RangeError);
  });
});
