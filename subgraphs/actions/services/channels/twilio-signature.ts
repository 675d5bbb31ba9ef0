import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (`X-Twilio-Signature`): base64 of HMAC-SHA1 under the account's auth
 * token, of the full URL Twilio called followed by every POST parameter, sorted by name, as name
 * then value with nothing between. It is how an SMS provider with Twilio's API signs its
 * status callbacks, instead of Standard Webhooks.
 */
export function twilioSignature(authToken: string, url: string, params: Readonly<Record<string, string>>): string {
  let data = url;
  for (const name of Object.keys(params).sort()) data += name + params[name];
  return createHmac('sha1', Buffer.from(authToken, 'utf8')).update(data, 'utf8').digest('base64');
}

/**
 * True when `signature` is Twilio's signature of `url` and `params` under one of `secrets` (several
 * while a rotation overlaps). Compared in constant time. Twilio signs no timestamp, so unlike a
 * Standard Webhooks callback a captured one can be replayed: it records nothing new (a report is
 * stored once per message and status).
 */
export function verifyTwilioSignature(signature: string | string[] | undefined, url: string, params: Readonly<Record<string, string>>, secrets: readonly string[]): boolean {
  if (typeof signature !== 'string' || signature.length === 0) return false;
  const given = Buffer.from(signature, 'base64');
  return secrets.some((secret) => {
    const expected = Buffer.from(twilioSignature(secret, url, params), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
