import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far a callback's `webhook-timestamp` may be from now, in seconds (the Standard Webhooks default). */
export const CALLBACK_TOLERANCE_SECONDS = 300;

/** The headers a signed callback carries (Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`). */
export interface CallbackHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * The HMAC key of a channel secret: a `whsec_…` secret is base64 after its prefix (as Standard
 * Webhooks providers hand them out); any other secret (an SMS auth token, a push bearer token) is
 * used as its UTF-8 bytes.
 */
function keyOf(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`: one Standard Webhooks signature. */
export function callbackSignature(secret: string, id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', keyOf(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * The headers of a delivery-status callback signed with `secret`, as a provider (or the test and
 * demo sinks, which play one) sends it.
 */
export function signCallback(secret: string, id: string, body: string, now: Date): CallbackHeaders {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': callbackSignature(secret, id, timestamp, body) };
}

/**
 * True when the callback carries a valid signature of its id, timestamp and raw body under one of
 * `secrets` (several while a rotation overlaps; the header may list several space-separated
 * signatures), and its timestamp is within the tolerance of `now` (a captured callback cannot be
 * replayed later). Compared in constant time.
 */
export function verifyCallback(headers: Partial<Record<keyof CallbackHeaders, string | string[] | undefined>>, body: string, secrets: readonly string[], now: Date): boolean {
  const id = single(headers['webhook-id']);
  const timestamp = single(headers['webhook-timestamp']);
  const signatures = single(headers['webhook-signature']);
  if (!id || !timestamp || !signatures || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > CALLBACK_TOLERANCE_SECONDS) return false;
  const given = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => Buffer.from(s.slice(3), 'base64'));
  for (const secret of secrets) {
    const expected = Buffer.from(callbackSignature(secret, id, timestamp, body).slice(3), 'base64');
    if (given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return true;
  }
  return false;
}

function single(value: string | string[] | undefined): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
