import 'reflect-metadata';

import { Command } from 'commander';

import { GATEWAY_ORM, KEY_REVOKED_CHANNEL, KeyStore } from '../gateway/keys/key-store';
import { loadConfig } from '../subgraphs/common/config';
import { AppError } from '../subgraphs/common/errors';
import { initOrm } from '../subgraphs/common/orm';
import { createRedis } from '../subgraphs/common/redis';
import { Shutdown } from '../subgraphs/common/shutdown';

/**
 * `npm run keys -- create --tenant acme --scopes profiles:read,risk:subscribe [--json]`,
 * `npm run keys -- list [--tenant acme] [--json]`, `npm run keys -- revoke <id-or-prefix>`.
 */
async function withStore<T>(fn: (store: KeyStore, shutdown: Shutdown) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const shutdown = new Shutdown();
  try {
    const orm = await initOrm(config, GATEWAY_ORM, shutdown);
    return await fn(new KeyStore(orm, config.secret), shutdown);
  } finally {
    await shutdown.run();
  }
}

const program = new Command('keys').description('Manage Foresight API keys').showHelpAfterError();

program
  .command('create')
  .description('create a key for a tenant; the key is printed once and stored only as a hash')
  .requiredOption('--tenant <name>', 'tenant name (a-z, 0-9, -, _)')
  .requiredOption('--scopes <list>', 'comma-separated: profiles:read,events:write,risk:read,risk:subscribe,actions:write,admin')
  .option('--label <text>', 'a note to tell keys apart')
  .option('--json', 'print {"tenant","key","scopes"} as JSON')
  .action(async (opts: { tenant: string; scopes: string; label?: string; json?: boolean }) => {
    const scopes = opts.scopes.split(',').map((s) => s.trim()).filter(Boolean);
    const created = await withStore((store) => store.create(opts.tenant, scopes, opts.label ?? null));
    if (opts.json) {
      console.log(JSON.stringify({ tenant: created.tenant, key: created.key, scopes: created.scopes, id: created.id }));
    } else {
      console.log(`created key ${created.id} for tenant ${created.tenant} (${created.scopes.join(', ')}):\n\n    ${created.key}\n\nStore it now: it is not shown again.`);
    }
  });

program
  .command('list')
  .description('list keys (prefixes only; keys themselves are never stored)')
  .option('--tenant <name>', 'only this tenant')
  .option('--json', 'print JSON')
  .action(async (opts: { tenant?: string; json?: boolean }) => {
    const keys = await withStore((store) => store.list(opts.tenant));
    if (opts.json) return console.log(JSON.stringify(keys));
    if (keys.length === 0) return console.log('no keys');
    for (const k of keys) {
      const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : 'active';
      console.log(`${k.id}  ${k.prefix}…  ${k.tenant.padEnd(16)}  ${k.scopes.join(',').padEnd(40)}  ${state}${k.label ? `  (${k.label})` : ''}`);
    }
  });

program
  .command('revoke <idOrPrefix>')
  .description('revoke a key by id or display prefix; running gateways drop it at once')
  .action(async (idOrPrefix: string) => {
    await withStore(async (store, shutdown) => {
      const { id, hash } = await store.revoke(idOrPrefix);
      const config = loadConfig();
      const redis = createRedis(config.redisUrl, shutdown, 'foresight-keys-cli');
      // gateways cache look-ups for a minute; the announcement evicts the key everywhere now
      await redis.publish(KEY_REVOKED_CHANNEL, hash).catch(() => {
        console.error('warning: Redis unreachable; running gateways drop the key within 60 s');
      });
      console.log(`revoked ${id}`);
    });
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof AppError ? `error: ${err.message}` : err);
  process.exit(err instanceof AppError ? 2 : 1);
});
