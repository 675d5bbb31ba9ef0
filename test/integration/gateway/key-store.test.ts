import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { ApiKey } from '../../../gateway/keys/api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey, legacyHashApiKey } from '../../../gateway/keys/key-format';
import { GATEWAY_ORM, KeyStore } from '../../../gateway/keys/key-store';
import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

describe('KeyStore', () => {
  let env: TestEnv;
  let orm: Orm;
  let store: KeyStore;

  beforeAll(async () => {
    env = await createTestEnv();
    orm = await initOrm(env.config, GATEWAY_ORM);
    store = new KeyStore(orm, env.config.secret);
  });
  afterAll(async () => {
    await orm?.close(true);
    await env?.cleanup();
  });

  it('stores only a hash and a display prefix, never the key', async () => {
    const created = await store.create('acme', ['profiles:read']);
    const row = await orm.em.fork().findOneOrFail(ApiKey, { id: created.id });
    expect(row.hash).not.toContain(created.key);
    expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(created.key.startsWith(row.prefix)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(created.key.slice(10));
  });

  it('resolves a key to its tenant and scopes', async () => {
    const created = await store.create('acme', ['risk:read', 'risk:subscribe']);
    expect(await store.resolve(created.key)).toEqual({ tenantId: 'acme', keyId: created.id, scopes: ['risk:read', 'risk:subscribe'] });
  });

  it('rejects unknown scopes and bad tenant names', async () => {
    await expect(store.create('acme', ['profiles:write'])).rejects.toThrow(/invalid scopes: profiles:write/);
    await expect(store.create('Bad Name', ['admin'])).rejects.toThrow(/invalid tenant name/);
    await expect(store.create('acme', [])).rejects.toThrow(/invalid scopes/);
  });

  it('stops resolving a key once revoked, even when the look-up was cached', async () => {
    const created = await store.create('acme', ['admin']);
    expect(await store.resolve(created.key)).not.toBeNull();
    await store.revoke(created.id);
    expect(await store.resolve(created.key)).toBeNull();
  });

  it('keeps a key stored under the pre-HKDF hash valid and re-hashes it on first use', async () => {
    const key = generateApiKey();
    const em = orm.em.fork();
    const row = em.create(ApiKey, { tenantId: 'acme', hash: legacyHashApiKey(key, env.config.secret), prefix: displayPrefix(key), scopes: ['risk:read'] });
    await em.flush();
    expect(await new KeyStore(orm, env.config.secret).resolve(key)).toEqual({ tenantId: 'acme', keyId: row.id, scopes: ['risk:read'] });
    const stored = await orm.em.fork().findOneOrFail(ApiKey, { id: row.id });
    expect(stored.hash).toBe(hashApiKey(key, env.config.secret));
    expect(stored.hash).not.toBe(legacyHashApiKey(key, env.config.secret));
    // and again, now under the new hash, from a store with a cold cache
    expect(await new KeyStore(orm, env.config.secret).resolve(key)).toMatchObject({ keyId: row.id });
  });

  it('revokes by display prefix, and answers NOT_FOUND for a prefix or id that matches nothing (PostgreSQL compares no uuid with text)', async () => {
    const created = await store.create('acme', ['admin']);
    const prefix = created.key.slice(0, 10);
    expect(await store.revoke(prefix)).toMatchObject({ id: created.id });
    expect(await store.resolve(created.key)).toBeNull();
    await expect(store.revoke('fsk_nothing')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(store.revoke('00000000-0000-7000-8000-00000000dead')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('answers an unknown key from its own short cache, and serves the key once it exists', async () => {
    const unknown = generateApiKey();
    expect(await store.resolve(unknown)).toBeNull();
    expect(await store.resolve(unknown)).toBeNull();
    // the same key issued now (as if created on another gateway): a fresh store finds it
    const em = orm.em.fork();
    em.create(ApiKey, { tenantId: 'acme', hash: hashApiKey(unknown, env.config.secret), prefix: displayPrefix(unknown), scopes: ['admin'] });
    await em.flush();
    expect(await new KeyStore(orm, env.config.secret).resolve(unknown)).toMatchObject({ tenantId: 'acme' });
  });

  it('does not resolve a key issued under another secret', async () => {
    const created = await store.create('acme', ['admin']);
    expect(await new KeyStore(orm, 'another-secret').resolve(created.key)).toBeNull();
  });
});

describe('npm run keys (CLI)', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await createTestEnv();
  });
  afterAll(() => env?.cleanup());

  const cli = (...args: string[]) =>
    run(process.execPath, [join(ROOT, 'test', 'fixtures', 'ts-child.cjs'), 'scripts/keys.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: env.config.dataDir, FORESIGHT_SECRET: env.config.secret, DATABASE_URL: env.config.databaseUrl ?? '', NODE_ENV: 'test' },
    });

  it('creates, lists and revokes keys', async () => {
    const { stdout } = await cli('create', '--tenant', 'cli-co', '--scopes', 'profiles:read,risk:subscribe', '--json');
    const created = JSON.parse(stdout.trim()) as { tenant: string; key: string; scopes: string[]; id: string };
    expect(created).toMatchObject({ tenant: 'cli-co', scopes: ['profiles:read', 'risk:subscribe'] });
    expect(created.key).toMatch(/^fsk_/);

    const listed = JSON.parse((await cli('list', '--json')).stdout) as { id: string; revokedAt: string | null }[];
    expect(listed).toEqual([expect.objectContaining({ id: created.id, revokedAt: null })]);

    await cli('revoke', created.id);
    const after = JSON.parse((await cli('list', '--tenant', 'cli-co', '--json')).stdout) as { revokedAt: string | null }[];
    expect(after[0].revokedAt).not.toBeNull();
  }, 120_000);

  it('exits non-zero with a clear message for an unknown scope', async () => {
    await expect(cli('create', '--tenant', 'cli-co', '--scopes', 'everything')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('invalid scopes: everything'),
    });
  }, 120_000);
});
