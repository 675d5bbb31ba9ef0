import { SecretBox } from '../../../../subgraphs/actions/services/channels/secret-box';

describe('SecretBox', () => {
  const box = new SecretBox('platform-secret-of-at-least-32-characters!');

  it('seals to a fresh ciphertext each time and opens it again', () => {
    const a = box.seal('whsec_abc', 't1', 'c1');
    const b = box.seal('whsec_abc', 't1', 'c1');
    expect(a).not.toBe(b);
    expect(a).not.toContain('abc');
    expect(box.open(a, 't1', 'c1')).toBe('whsec_abc');
  });

  it('refuses a value moved to another tenant or channel, tampered with, or under another platform secret', () => {
    const sealed = box.seal('token', 't1', 'c1');
    expect(() => box.open(sealed, 't2', 'c1')).toThrow();
    expect(() => box.open(sealed, 't1', 'c2')).toThrow();
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), 't1', 'c1')).toThrow();
    expect(() => new SecretBox('another-platform-secret-of-32-chars!!').open(sealed, 't1', 'c1')).toThrow();
  });

  it('keeps env references as they are and reads them when opened', () => {
    const withEnv = new SecretBox('platform-secret-of-at-least-32-characters!', { SHOP_TOKEN: 'from-env' });
    expect(withEnv.seal('env:SHOP_TOKEN', 't1', 'c1')).toBe('env:SHOP_TOKEN');
    expect(withEnv.open('env:SHOP_TOKEN', 't1', 'c1')).toBe('from-env');
    expect(() => withEnv.open('env:MISSING', 't1', 'c1')).toThrow(/MISSING is not set/);
  });
});
