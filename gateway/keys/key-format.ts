import { createHmac, randomBytes } from 'node:crypto';

import { derivedKey } from '../../subgraphs/common/derived-keys';

const KEY_PREFIX = 'fsk_';

/** A new random API key: `fsk_` + 256 random bits, base64url. */
export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

/**
 * What is stored and looked up: HMAC-SHA256 keyed with the `api-key-hash` key derived from the
 * secret (HKDF), never with the secret itself, which also derives the context-signing key. A
 * 256-bit random key needs no slow KDF.
 */
export function hashApiKey(key: string, secret: string): string {
  return createHmac('sha256', derivedKey(secret, 'api-key-hash')).update(key).digest('hex');
}

/**
 * The hash keys created before the derived keys were stored under (HMAC with the raw secret).
 * Looked up beside the current one, and replaced by it on the key's first use.
 */
export function legacyHashApiKey(key: string, secret: string): string {
  return createHmac('sha256', secret).update(key).digest('hex');
}

/** Display prefix kept in the clear, e.g. `fsk_Ab12Cd`. */
export function displayPrefix(key: string): string {
  return key.slice(0, KEY_PREFIX.length + 6);
}

/** Cheap shape check before any look-up, so junk never reaches the database. */
export function looksLikeApiKey(value: string): boolean {
  return /^fsk_[A-Za-z0-9_-]{43}$/.test(value);
}

/** Tenant names are ids: lower-case letters, digits, `-` and `_`, up to 64 characters. */
export function isValidTenantName(name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name);
}
