import { createHmac } from 'node:crypto';

import { displayPrefix, generateApiKey, hashApiKey, isValidTenantName, legacyHashApiKey, looksLikeApiKey } from '../../../../gateway/keys/key-format';

describe('generateApiKey', () => {
  it('is fsk_ followed by 43 base64url characters (256 bits)', () => {
    const key = generateApiKey();
    expect(key).toMatch(/^fsk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(4), 'base64url')).toHaveLength(32);
  });

  it('passes its own shape check', () => {
    expect(looksLikeApiKey(generateApiKey())).toBe(true);
  });

  it('never repeats over many keys', () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
  });
});

describe('looksLikeApiKey', () => {
  const body = 'A'.repeat(42);

  it.each<[string, string, boolean]>([
    ['accepts the prefix and 43 characters', `fsk_${body}B`, true],
    ['accepts - and _', `fsk_${'-_'.repeat(21)}x`, true],
    ['rejects 42 characters', `fsk_${body}`, false],
    ['rejects 44 characters', `fsk_${body}BC`, false],
    ['rejects another prefix', `fsx_${body}B`, false],
    ['rejects an upper-case prefix', `FSK_${body}B`, false],
    ['rejects the bare body', `${body}B`, false],
    ['rejects standard base64 characters', `fsk_${body}+`, false],
    ['rejects padding', `fsk_${body.slice(1)}B=`, false],
    ['rejects surrounding whitespace', ` fsk_${body}B`, false],
    ['rejects a trailing newline', `fsk_${body}B\n`, false],
    ['rejects the empty string', '', false],
  ])('%s', (_name, value, expected) => {
    expect(looksLikeApiKey(value)).toBe(expected);
  });
});

describe('hashApiKey', () => {
  const key = 'fsk_' + 'A'.repeat(43);

  it('is 64 hex characters', () => {
    expect(hashApiKey(key, 'secret')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is deterministic for the same key and secret', () => {
    expect(hashApiKey(key, 'secret')).toBe(hashApiKey(key, 'secret'));
  });

  it('depends on the secret', () => {
    expect(hashApiKey(key, 'secret')).not.toBe(hashApiKey(key, 'secret2'));
  });

  it('depends on the key', () => {
    expect(hashApiKey(key, 'secret')).not.toBe(hashApiKey(`${key.slice(0, -1)}B`, 'secret'));
  });

  it('does not contain the key', () => {
    expect(hashApiKey(key, 'secret')).not.toContain(key.slice(4));
  });

  it('is keyed with a key derived from the secret, not the secret itself (the legacy hash)', () => {
    expect(hashApiKey(key, 'secret')).not.toBe(legacyHashApiKey(key, 'secret'));
    expect(legacyHashApiKey(key, 'secret')).toBe(createHmac('sha256', 'secret').update(key).digest('hex'));
  });
});

describe('displayPrefix', () => {
  it('keeps fsk_ and the next six characters', () => {
    expect(displayPrefix('fsk_Ab12Cd34Ef')).toBe('fsk_Ab12Cd');
  });

  it('reveals only 10 characters of a generated key', () => {
    const key = generateApiKey();
    expect(displayPrefix(key)).toHaveLength(10);
    expect(key.startsWith(displayPrefix(key))).toBe(true);
  });
});

describe('isValidTenantName', () => {
  it.each(['acme', 'a', '0', 'acme-corp_2', '9lives', 'a'.repeat(64)])('accepts %j', (name) => {
    expect(isValidTenantName(name)).toBe(true);
  });

  it.each(['', 'a'.repeat(65), 'Acme', '-acme', '_acme', 'acme corp', 'acme.corp', 'acme/corp', 'acmé', 'acme\n', ' acme'])(
    'rejects %j',
    (name) => {
      expect(isValidTenantName(name)).toBe(false);
    },
  );
});
