import { hkdfSync } from 'node:crypto';

/**
 * What a key derived from `FORESIGHT_SECRET` is for. Each purpose gets its own key, so a value
 * made for one (an API-key hash stored in the database) can never serve as another (a signature
 * on a tenant context), and a leak of one derived key exposes nothing else.
 */
export type KeyPurpose = 'api-key-hash' | 'tenant-context' | 'email-tracking';

const cache = new Map<string, Buffer>();

/** HKDF-SHA256 (RFC 5869) of the platform secret, 32 bytes per purpose; memoised per process. */
export function derivedKey(secret: string, purpose: KeyPurpose): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = cache.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'foresight', `foresight ${purpose} v1`, 32));
    if (cache.size > 100) cache.clear();
    cache.set(id, key);
  }
  return key;
}
