import { createHmac, timingSafeEqual } from 'node:crypto';

import { derivedKey } from './derived-keys';

/** `o`: the open pixel of one email; `c`: one tracked link of it. */
export type TrackingKind = 'o' | 'c';

/** What an email's open pixel or tracked link says about the send it came from. */
export interface TrackingClaims {
  kind: TrackingKind;
  tenantId: string;
  profileId: string;
  runId: string;
  stepId: string;
  /** The outbox row (`StepDelivery`) of the send. */
  deliveryId: string;
  /** Unix seconds after which a hit records nothing (a click still redirects). */
  exp: number;
  /** Clicks only: where the link goes (http or https). */
  url?: string;
}

/** A token whose signature holds; `expired` when it is past `exp`. */
export interface VerifiedTracking {
  claims: TrackingClaims;
  expired: boolean;
}

/** Format tag inside the signed body, so the layout can change without guessing. */
const VERSION = 1;
/** Bytes of the HMAC kept: 128 bits, as short as a forged link stays out of reach. */
const MAC_BYTES = 16;

/**
 * The tenant's own tracking key: HMAC-SHA256 of the tenant id under the `email-tracking` key
 * derived from the platform secret (never the API-key hashing or context key). A token made for
 * one tenant therefore never verifies as another's, even with its tenant field rewritten.
 */
function tenantKey(secret: string, tenantId: string): Buffer {
  return createHmac('sha256', derivedKey(secret, 'email-tracking')).update(tenantId).digest();
}

function mac(body: string, secret: string, tenantId: string): string {
  return createHmac('sha256', tenantKey(secret, tenantId)).update(body).digest().subarray(0, MAC_BYTES).toString('base64url');
}

/**
 * A compact URL-safe token: `base64url(JSON array of the claims).base64url(truncated HMAC)`. The
 * array (not an object) keeps the field names out of every link in every email.
 */
export function signTrackingToken(claims: TrackingClaims, secret: string): string {
  const fields: (string | number)[] = [VERSION, claims.kind, claims.tenantId, claims.profileId, claims.runId, claims.stepId, claims.deliveryId, claims.exp];
  if (claims.kind === 'c') fields.push(claims.url ?? '');
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${body}.${mac(body, secret, claims.tenantId)}`;
}

/**
 * The claims of a token signed with this secret for the tenant it names, or null for anything
 * else (garbage, a changed byte, another secret, another tenant's key, a click token without an
 * http(s) URL). Never throws.
 */
export function verifyTrackingToken(token: unknown, secret: string, nowMs = Date.now()): VerifiedTracking | null {
  if (typeof token !== 'string' || token.length > 8192) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(fields) || fields[0] !== VERSION) return null;
  const [, kind, tenantId, profileId, runId, stepId, deliveryId, exp, url] = fields as unknown[];
  if (kind !== 'o' && kind !== 'c') return null;
  if (![tenantId, profileId, runId, stepId, deliveryId].every((v) => typeof v === 'string' && v.length > 0)) return null;
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return null;
  if (fields.length !== (kind === 'c' ? 9 : 8)) return null;
  if (kind === 'c' && !(typeof url === 'string' && isHttpUrl(url))) return null;
  // compare the text, not decoded bytes: base64url decoding skips junk and spare bits
  const given = Buffer.from(token.slice(dot + 1));
  const expected = Buffer.from(mac(body, secret, tenantId as string));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const claims: TrackingClaims = {
    kind,
    tenantId: tenantId as string,
    profileId: profileId as string,
    runId: runId as string,
    stepId: stepId as string,
    deliveryId: deliveryId as string,
    exp,
    ...(kind === 'c' ? { url: url as string } : {}),
  };
  return { claims, expired: nowMs >= exp * 1000 };
}

/** True for an absolute http or https URL. */
export function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
