import { createHmac, timingSafeEqual } from 'node:crypto';

import { derivedKey } from './derived-keys';

/** What an API key may do. `admin` implies every other scope. */
export const SCOPES = [
  'profiles:read',
  'events:write',
  'risk:read',
  'risk:subscribe',
  'actions:write',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

export function hasScope(granted: readonly string[], needed: string): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/** Header (HTTP) and `extensions.headers` key (graphql-ws) carrying the signed tenant context. */
export const CONTEXT_HEADER = 'x-foresight-context';

/** Who is calling, as resolved by the gateway from an API key. */
export interface TenantContext {
  tenantId: string;
  /** Id of the API key row, for audit logs. */
  keyId: string;
  scopes: string[];
}

interface SignedPayload {
  tid: string;
  kid: string;
  scp: string[];
  /** Audience: the one subgraph the token is for (`profiles`, `signals`, …). */
  aud: string;
  /** Expiry, unix seconds. */
  exp: number;
}

/** Clock difference between gateway and subgraph tolerated when checking a token's lifetime. */
const CLOCK_SKEW_SECONDS = 5;

/**
 * `base64url(JSON payload) + "." + base64url(HMAC-SHA256(key, payload))`, keyed with the
 * `tenant-context` key derived from `secret` (never the secret itself, which also derives the
 * API-key hashes). The token is bound to one subgraph (`audience`), so one captured on its way
 * to a subgraph is refused by the others; the short expiry bounds how long it can be replayed.
 */
export function signContext(ctx: TenantContext, secret: string, audience: string, ttlSeconds: number, nowMs = Date.now()): string {
  const payload: SignedPayload = {
    tid: ctx.tenantId,
    kid: ctx.keyId,
    scp: ctx.scopes,
    aud: audience,
    exp: Math.floor(nowMs / 1000) + ttlSeconds,
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${mac(body, secret)}`;
}

/**
 * The context a valid token carries; `null` for anything else. Never throws. Valid means: signed
 * with this secret's context key, meant for `audience`, not expired, and not living longer than
 * `maxTtlSeconds` from now (this subgraph's own maximum, whatever lifetime the signer chose).
 */
export function verifyContext(token: unknown, secret: string, audience: string, maxTtlSeconds: number, nowMs = Date.now()): TenantContext | null {
  if (typeof token !== 'string') return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  // compare the text, not the decoded bytes: base64url decoding skips junk and spare bits
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(body, secret));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let payload: SignedPayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SignedPayload;
  } catch {
    return null;
  }
  if (payload === null || typeof payload !== 'object') return null;
  if (typeof payload.tid !== 'string' || !Array.isArray(payload.scp) || typeof payload.exp !== 'number') return null;
  if (payload.aud !== audience) return null;
  if (payload.exp * 1000 < nowMs) return null;
  if (payload.exp * 1000 > nowMs + (maxTtlSeconds + CLOCK_SKEW_SECONDS) * 1000) return null;
  return { tenantId: payload.tid, keyId: payload.kid, scopes: payload.scp };
}

function mac(body: string, secret: string): string {
  return createHmac('sha256', derivedKey(secret, 'tenant-context')).update(body).digest('base64url');
}
