import { LRUCache } from 'lru-cache';

import { isScope, type TenantContext } from '../../subgraphs/common/auth-context';
import { AppError } from '../../subgraphs/common/errors';
import { isUuid } from '../../subgraphs/common/ids';
import type { Orm, OrmSpec } from '../../subgraphs/common/orm';
import { ApiKey } from './api-key.entity';
import { displayPrefix, generateApiKey, hashApiKey, isValidTenantName, legacyHashApiKey, looksLikeApiKey } from './key-format';
import { GATEWAY_MIGRATIONS } from './migrations';

export const GATEWAY_ORM: OrmSpec = { name: 'gateway', entities: [ApiKey], migrations: GATEWAY_MIGRATIONS, migrationsDir: 'gateway/keys/migrations' };

/** Redis channel on which revocations are announced, so every gateway drops the key at once. */
export const KEY_REVOKED_CHANNEL = 'foresight-key-revoked';

export interface CreatedKey {
  id: string;
  tenant: string;
  key: string;
  scopes: string[];
}

export interface KeySummary {
  id: string;
  tenant: string;
  prefix: string;
  scopes: string[];
  label: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/**
 * API keys: creation, listing, revocation, and the gateway's look-up with a short-lived cache
 * (a hit costs no database round trip; a revocation evicts it).
 */
export class KeyStore {
  private readonly cache = new LRUCache<string, TenantContext>({ max: 50_000, ttl: 60_000 });
  /**
   * Unknown keys, remembered briefly so guessing cannot hammer the database. A cache of its own:
   * a flood of made-up keys must not push valid keys out of `cache`.
   */
  private readonly misses = new LRUCache<string, true>({ max: 10_000, ttl: 5_000 });

  constructor(
    private readonly orm: Orm,
    private readonly secret: string,
  ) {}

  async create(tenant: string, scopes: string[], label: string | null = null): Promise<CreatedKey> {
    if (!isValidTenantName(tenant)) {
      throw new AppError('BAD_USER_INPUT', `invalid tenant name "${tenant}": use a-z, 0-9, - and _ (max 64)`);
    }
    const unique = [...new Set(scopes)];
    const unknown = unique.filter((s) => !isScope(s));
    if (unique.length === 0 || unknown.length) {
      throw new AppError('BAD_USER_INPUT', `invalid scopes: ${unknown.join(', ') || '(none given)'}`);
    }
    const key = generateApiKey();
    const em = this.orm.em.fork();
    const row = em.create(ApiKey, {
      tenantId: tenant,
      hash: hashApiKey(key, this.secret),
      prefix: displayPrefix(key),
      scopes: unique,
      label,
    });
    await em.flush();
    return { id: row.id, tenant, key, scopes: unique };
  }

  async list(tenant?: string): Promise<KeySummary[]> {
    const rows = await this.orm.em.fork().find(ApiKey, tenant ? { tenantId: tenant } : {}, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({
      id: r.id,
      tenant: r.tenantId,
      prefix: r.prefix,
      scopes: r.scopes,
      label: r.label,
      createdAt: r.createdAt,
      revokedAt: r.revokedAt,
    }));
  }

  async count(): Promise<number> {
    return this.orm.em.fork().count(ApiKey, {});
  }

  /**
   * Revokes by id or display prefix. Revoking twice is harmless. Returns the hash, which the
   * caller announces on KEY_REVOKED_CHANNEL so other gateways evict it too.
   */
  async revoke(idOrPrefix: string): Promise<{ id: string; hash: string }> {
    const em = this.orm.em.fork();
    // PostgreSQL refuses to compare a uuid column with text that is no uuid: ask by id only for a uuid
    const matches = await em.find(ApiKey, isUuid(idOrPrefix) ? { $or: [{ id: idOrPrefix }, { prefix: idOrPrefix }] } : { prefix: idOrPrefix });
    if (matches.length === 0) throw new AppError('NOT_FOUND', `no key with id or prefix ${idOrPrefix}`);
    if (matches.length > 1) throw new AppError('CONFLICT', `prefix ${idOrPrefix} matches ${matches.length} keys: use the id`);
    const [row] = matches;
    row.revokedAt ??= new Date();
    await em.flush();
    this.evict(row.hash);
    return { id: row.id, hash: row.hash };
  }

  /** Drops a cached look-up (called on revocation, locally and from other instances). */
  evict(hash: string): void {
    this.cache.delete(hash);
    this.misses.delete(hash);
  }

  /** The caller behind a key, or null for an unknown, malformed or revoked key. */
  async resolve(key: string): Promise<TenantContext | null> {
    if (!looksLikeApiKey(key)) return null;
    const hash = hashApiKey(key, this.secret);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    if (this.misses.has(hash)) return null;
    const legacy = legacyHashApiKey(key, this.secret);
    const em = this.orm.em.fork();
    const rows = await em.find(ApiKey, { hash: { $in: [hash, legacy] } });
    const row = rows.find((r) => r.hash === hash) ?? rows[0] ?? null;
    if (row && row.hash === legacy) {
      // re-hash on first use: conditional on the old value, so concurrent look-ups agree
      await em.nativeUpdate(ApiKey, { id: row.id, hash: legacy }, { hash });
    }
    if (!row || row.revokedAt) {
      this.misses.set(hash, true);
      return null;
    }
    const ctx: TenantContext = { tenantId: row.tenantId, keyId: row.id, scopes: row.scopes };
    this.cache.set(hash, ctx);
    return ctx;
  }

  hashOf(key: string): string {
    return hashApiKey(key, this.secret);
  }
}
