import { verifyContext, type TenantContext } from '../../../subgraphs/common/auth-context';
import { createContextSigner } from '../../../gateway/signed-context';

const SECRET = 'gateway-secret';
const TTL = 60;
const acme: TenantContext = { tenantId: 'acme', keyId: 'key-1', scopes: ['profiles:read'] };
const verify = (token: string, secret: string, now?: number) => verifyContext(token, secret, 'profiles', TTL, now);

describe('createContextSigner', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('returns a token verifyContext accepts with the same secret', () => {
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    expect(verify(sign(acme), SECRET)).toEqual(acme);
  });

  it('returns a token verifyContext refuses with another secret', () => {
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    expect(verify(sign(acme), 'other-secret')).toBeNull();
  });

  it('returns a token that expires after the TTL', () => {
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    const token = sign(acme);
    expect(verify(token, SECRET, Date.now() + (TTL + 1) * 1000)).toBeNull();
  });

  it('reuses the same token on a second call for the same key', () => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    const first = sign(acme);
    jest.advanceTimersByTime(5_000);
    expect(sign({ ...acme })).toBe(first);
  });

  it.each<[string, TenantContext]>([
    ['another key of the same tenant', { ...acme, keyId: 'key-2' }],
    ['the same key id in another tenant', { ...acme, tenantId: 'globex' }],
  ])('signs a different token for %s', (_name, other) => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    const first = sign(acme);
    const second = sign(other);
    expect(second).not.toBe(first);
    expect(verify(second, SECRET)).toEqual(other);
    expect(sign(acme)).toBe(first);
  });

  it('signs a fresh token once half the TTL has passed', () => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const signer = createContextSigner(SECRET, TTL);
    const sign = (c: TenantContext) => signer(c, 'profiles');
    const first = sign(acme);
    jest.advanceTimersByTime((TTL * 1000) / 2 - 1);
    expect(sign(acme)).toBe(first);
    jest.advanceTimersByTime(1_000);
    const renewed = sign(acme);
    expect(renewed).not.toBe(first);
    expect(verify(renewed, SECRET, Date.now() + (TTL - 1) * 1000)).toEqual(acme);
  });

  it('signs a token per subgraph, each accepted only by its own', () => {
    const signer = createContextSigner(SECRET, TTL);
    const forProfiles = signer(acme, 'profiles');
    const forRisk = signer(acme, 'risk');
    expect(forRisk).not.toBe(forProfiles);
    expect(verifyContext(forRisk, SECRET, 'risk', TTL)).toEqual(acme);
    expect(verifyContext(forRisk, SECRET, 'profiles', TTL)).toBeNull();
  });

  it('keeps separate caches per signer', () => {
    jest.useFakeTimers({ now: Date.UTC(2025, 0, 1) });
    const first = createContextSigner(SECRET, TTL)(acme, 'profiles');
    const other = createContextSigner('other-secret', TTL)(acme, 'profiles');
    expect(other).not.toBe(first);
    expect(verify(other, 'other-secret')).toEqual(acme);
  });
});
