import { createHmac } from 'node:crypto';

import { derivedKey } from '../../../subgraphs/common/derived-keys';

import { hasScope, isScope, SCOPES, signContext, verifyContext, type TenantContext } from '../../../subgraphs/common/auth-context';

const SECRET = 'test-secret-0123456789';
const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const TTL = 60;
const ctx: TenantContext = { tenantId: 'acme', keyId: 'key-1', scopes: ['profiles:read', 'risk:read'] };
const AUD = 'profiles';
/** The context for AUD, as the gateway signs it. */
const sign = (c: TenantContext, secret: string, ttl: number, now?: number) => signContext(c, secret, AUD, ttl, now);
/** Verified as the AUD subgraph does, with TTL as its maximum. */
const verify = (token: unknown, secret: string, now?: number) => verifyContext(token, secret, AUD, TTL, now);


/** A token whose body is any text, signed correctly: reaches the checks behind the MAC. */
function signRaw(bodyText: string, secret = SECRET): string {
  const body = Buffer.from(bodyText).toString('base64url');
  return `${body}.${createHmac('sha256', derivedKey(secret, 'tenant-context')).update(body).digest('base64url')}`;
}

/** Replaces one character of `text` at `index` by a different base64url character. */
function flipChar(text: string, index: number): string {
  const swapped = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + swapped + text.slice(index + 1);
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * A 32-byte MAC is 43 base64url characters, the last carrying 2 spare bits: flipping the lowest
 * one gives a different string that decodes to the same bytes.
 */
function sameBytesLastChar(sig: string): string {
  return BASE64URL[BASE64URL.indexOf(sig[sig.length - 1]) ^ 1];
}

describe('signContext', () => {
  it('produces two base64url parts joined by a dot', () => {
    expect(sign(ctx, SECRET, TTL, NOW)).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  });

  it('carries an expiry of now plus the TTL, in unix seconds', () => {
    const [body] = sign(ctx, SECRET, TTL, NOW + 999).split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    expect(payload.exp).toBe(NOW / 1000 + TTL);
  });

  it('depends on the secret', () => {
    expect(sign(ctx, SECRET, TTL, NOW)).not.toBe(sign(ctx, `${SECRET}x`, TTL, NOW));
  });
});

describe('verifyContext', () => {
  const token = sign(ctx, SECRET, TTL, NOW);
  const [body, sig] = token.split('.');

  it('returns the signed context for a valid token', () => {
    expect(verify(token, SECRET, NOW)).toEqual(ctx);
  });

  it.each([
    ['just after signing', NOW + 1],
    ['at the expiry second', NOW + TTL * 1000],
  ])('accepts the token %s', (_name, at) => {
    expect(verify(token, SECRET, at)).toEqual(ctx);
  });

  it.each([
    ['one millisecond after expiry', NOW + TTL * 1000 + 1],
    ['an hour after expiry', NOW + 3_600_000],
  ])('rejects the token %s', (_name, at) => {
    expect(verify(token, SECRET, at)).toBeNull();
  });

  it('rejects a token signed with a zero TTL one second later', () => {
    const short = sign(ctx, SECRET, 0, NOW);
    expect(verify(short, SECRET, NOW)).toEqual(ctx);
    expect(verify(short, SECRET, NOW + 1000)).toBeNull();
  });

  it('rejects a payload tampered to add a scope', () => {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, scp: [...payload.scp, 'admin'] })).toString('base64url');
    expect(verify(`${forged}.${sig}`, SECRET, NOW)).toBeNull();
  });

  it('rejects a payload tampered to extend its expiry', () => {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 86_400 })).toString('base64url');
    expect(verify(`${forged}.${sig}`, SECRET, NOW)).toBeNull();
  });

  it.each([
    ['its first character changed', `${body}.${flipChar(sig, 0)}`],
    ['a middle character changed', `${body}.${flipChar(sig, 20)}`],
    ['it truncated', `${body}.${sig.slice(0, -4)}`],
    ['it removed', `${body}.`],
    ['junk appended', `${body}.${sig}!!`],
    ['a second dot and more text appended', `${body}.${sig}.${sig}`],
    ['standard base64 padding appended', `${body}.${sig}=`],
    ['its last character swapped for one that decodes to the same bytes', `${body}.${sig.slice(0, -1)}${sameBytesLastChar(sig)}`],
  ])('rejects a signature with %s', (_name, tampered) => {
    expect(verify(tampered, SECRET, NOW)).toBeNull();
  });

  it('rejects a token signed with another secret', () => {
    expect(verify(sign(ctx, 'other-secret', TTL, NOW), SECRET, NOW)).toBeNull();
  });

  it('rejects a valid token when verified with another secret', () => {
    expect(verify(token, 'other-secret', NOW)).toBeNull();
  });

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['a string without a dot', body + sig],
    ['a string starting with the dot', `.${sig}`],
    ['a lone dot', '.'],
    ['garbage base64', '%%%$$$.@@@###'],
    ['two garbage parts', 'not-a-token.at-all'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { token }],
    ['an array of the parts', [body, sig]],
    ['a Buffer of the token', Buffer.from(token)],
  ])('returns null for %s', (_name, value) => {
    expect(verify(value, SECRET, NOW)).toBeNull();
  });

  it.each([
    ['a body that is not JSON', 'not json {'],
    ['a JSON null body', 'null'],
    ['a JSON string body', '"acme"'],
    ['a JSON array body', '[1,2]'],
    ['a payload without a tenant', JSON.stringify({ kid: 'k', scp: [], exp: NOW / 1000 + TTL })],
    ['a payload with non-array scopes', JSON.stringify({ tid: 'acme', kid: 'k', scp: 'admin', exp: NOW / 1000 + TTL })],
    ['a payload with a string expiry', JSON.stringify({ tid: 'acme', kid: 'k', scp: [], exp: String(NOW / 1000 + TTL) })],
    ['a payload without an expiry', JSON.stringify({ tid: 'acme', kid: 'k', scp: [] })],
  ])('returns null without throwing for a correctly signed token with %s', (_name, bodyText) => {
    const signed = signRaw(bodyText);
    expect(() => verify(signed, SECRET, NOW)).not.toThrow();
    expect(verify(signed, SECRET, NOW)).toBeNull();
  });

  it('uses the current time when no clock is given', () => {
    expect(verify(sign(ctx, SECRET, TTL), SECRET)).toEqual(ctx);
    expect(verify(sign(ctx, SECRET, TTL, Date.now() - (TTL + 5) * 1000), SECRET)).toBeNull();
  });
});

describe('verifyContext audience and lifetime', () => {
  it('refuses a token meant for another subgraph', () => {
    const forSignals = signContext(ctx, SECRET, 'signals', TTL, NOW);
    expect(verifyContext(forSignals, SECRET, 'signals', TTL, NOW)).toEqual(ctx);
    expect(verifyContext(forSignals, SECRET, 'profiles', TTL, NOW)).toBeNull();
  });

  it('refuses a token without an audience, even correctly signed', () => {
    expect(verifyContext(signRaw(JSON.stringify({ tid: 'acme', kid: 'k', scp: ['admin'], exp: NOW / 1000 + TTL })), SECRET, AUD, TTL, NOW)).toBeNull();
  });

  it('refuses a token living longer than the verifier’s own maximum', () => {
    const long = signContext(ctx, SECRET, AUD, 3600, NOW);
    expect(verifyContext(long, SECRET, AUD, 3600, NOW)).toEqual(ctx);
    expect(verifyContext(long, SECRET, AUD, 60, NOW)).toBeNull();
  });

  it('is not signed with the raw secret (the key is derived for this purpose only)', () => {
    const [body, sig] = signContext(ctx, SECRET, AUD, TTL, NOW).split('.');
    expect(sig).not.toBe(createHmac('sha256', SECRET).update(body).digest('base64url'));
    expect(verifyContext(signRaw(Buffer.from(body, 'base64url').toString('utf8'), SECRET), SECRET, AUD, TTL, NOW)).toEqual(ctx);
  });
});

describe('hasScope', () => {
  it.each<[string, string[], string, boolean]>([
    ['grants a scope that was granted', ['risk:read'], 'risk:read', true],
    ['grants one of several granted scopes', ['profiles:read', 'risk:read'], 'risk:read', true],
    ['refuses a scope that was not granted', ['profiles:read'], 'risk:read', false],
    ['refuses anything with no scopes', [], 'risk:read', false],
    ['lets admin imply any scope', ['admin'], 'actions:write', true],
    ['lets admin imply admin', ['admin'], 'admin', true],
    ['does not let other scopes imply admin', ['profiles:read', 'events:write', 'risk:read', 'risk:subscribe', 'actions:write'], 'admin', false],
    ['matches scopes exactly, not by prefix', ['risk:read'], 'risk', false],
  ])('%s', (_name, granted, needed, expected) => {
    expect(hasScope(granted, needed)).toBe(expected);
  });
});

describe('isScope', () => {
  it.each(SCOPES)('accepts %s', (scope) => {
    expect(isScope(scope)).toBe(true);
  });

  it.each(['', 'Admin', 'risk:write', 'profiles:read '])('rejects %j', (value) => {
    expect(isScope(value)).toBe(false);
  });
});
