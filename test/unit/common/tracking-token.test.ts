import { createHmac } from 'node:crypto';

import { derivedKey } from '../../../subgraphs/common/derived-keys';
import { signTrackingToken, verifyTrackingToken, type TrackingClaims } from '../../../subgraphs/common/tracking-token';

const SECRET = 'test-secret-0123456789-abcdefghij';
const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const open: TrackingClaims = { kind: 'o', tenantId: 'shop', profileId: 'p-1', runId: 'r-1', stepId: 'offer', deliveryId: 'd-1', exp: NOW / 1000 + 3600 };
const click: TrackingClaims = { ...open, kind: 'c', url: 'https://shop.example.com/offer?a=1&b=2' };

/** A token for `fields` (the JSON array) signed with `tenant`'s key, as `signTrackingToken` would. */
function signFields(fields: unknown[], tenant: string, secret = SECRET): string {
  const body = Buffer.from(JSON.stringify(fields)).toString('base64url');
  const key = createHmac('sha256', derivedKey(secret, 'email-tracking')).update(tenant).digest();
  return `${body}.${createHmac('sha256', key).update(body).digest().subarray(0, 16).toString('base64url')}`;
}

describe('signTrackingToken', () => {
  it('round-trips open and click claims through verifyTrackingToken', () => {
    expect(verifyTrackingToken(signTrackingToken(open, SECRET), SECRET, NOW)).toEqual({ claims: open, expired: false });
    expect(verifyTrackingToken(signTrackingToken(click, SECRET), SECRET, NOW)).toEqual({ claims: click, expired: false });
  });

  it('makes a compact, URL-safe token', () => {
    const token = signTrackingToken(click, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(token.length).toBeLessThan(200);
  });
});

describe('verifyTrackingToken', () => {
  it('refuses a token with any one character changed', () => {
    const token = signTrackingToken(click, SECRET);
    for (let i = 0; i < token.length; i++) {
      if (token[i] === '.') continue;
      const changed = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
      expect(verifyTrackingToken(changed, SECRET, NOW)).toBeNull();
    }
  });

  it('refuses a token whose tenant, profile or URL was rewritten, even keeping the signature', () => {
    const [, sig] = signTrackingToken(click, SECRET).split('.');
    for (const forged of [{ ...click, tenantId: 'rival' }, { ...click, profileId: 'p-2' }, { ...click, url: 'https://evil.example.com/' }]) {
      const [body] = signTrackingToken(forged, 'another-secret-0123456789-abcdefgh').split('.');
      expect(verifyTrackingToken(`${body}.${sig}`, SECRET, NOW)).toBeNull();
    }
  });

  it("refuses a token signed with another tenant's key or another platform secret", () => {
    const fields = [1, 'c', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp, 'https://evil.example.com/'];
    expect(verifyTrackingToken(signFields(fields, 'shop'), SECRET, NOW)).not.toBeNull();
    expect(verifyTrackingToken(signFields(fields, 'rival'), SECRET, NOW)).toBeNull();
    expect(verifyTrackingToken(signTrackingToken(click, 'another-secret-0123456789-abcdefgh'), SECRET, NOW)).toBeNull();
  });

  it('refuses a token signed with the tenant-context key (keys are per purpose)', () => {
    const body = Buffer.from(JSON.stringify([1, 'o', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp])).toString('base64url');
    const sig = createHmac('sha256', derivedKey(SECRET, 'tenant-context')).update(body).digest().subarray(0, 16).toString('base64url');
    expect(verifyTrackingToken(`${body}.${sig}`, SECRET, NOW)).toBeNull();
  });

  it('marks a token past its expiry as expired, keeping its claims', () => {
    const token = signTrackingToken(click, SECRET);
    expect(verifyTrackingToken(token, SECRET, open.exp * 1000 - 1)?.expired).toBe(false);
    expect(verifyTrackingToken(token, SECRET, open.exp * 1000)).toEqual({ claims: click, expired: true });
  });

  it.each([
    ['a click without a URL', [1, 'c', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp]],
    ['a click to a javascript: URL', [1, 'c', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp, 'javascript:alert(1)']],
    ['a click to a relative URL', [1, 'c', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp, '//evil.example.com']],
    ['an open with a URL', [1, 'o', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp, 'https://x.example.com/']],
    ['an unknown kind', [1, 'x', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp]],
    ['another version', [2, 'o', 'shop', 'p-1', 'r-1', 'offer', 'd-1', open.exp]],
    ['an empty profile', [1, 'o', 'shop', '', 'r-1', 'offer', 'd-1', open.exp]],
    ['a non-numeric expiry', [1, 'o', 'shop', 'p-1', 'r-1', 'offer', 'd-1', 'never']],
    ['an object body', { kind: 'o' }],
  ])('refuses %s even when correctly signed', (_name, fields) => {
    expect(verifyTrackingToken(signFields(fields as unknown[], 'shop'), SECRET, NOW)).toBeNull();
  });

  it.each([undefined, '', '.', 'abc', 'abc.def', '!!!.???', `${'a'.repeat(9000)}.x`])('refuses %p without throwing', (token) => {
    expect(verifyTrackingToken(token, SECRET, NOW)).toBeNull();
  });
});
