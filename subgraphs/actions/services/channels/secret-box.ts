import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

import { isEnvSecretRef } from '../../domain/validate-channel';

/** Format tag of sealed values, so the scheme can change without guessing. */
const VERSION = 'v1';
const HKDF_SALT = 'foresight-channel-secrets';
const HKDF_INFO = 'aes-256-gcm channel secret v1';

/**
 * Seals channel secrets at rest: AES-256-GCM under a key derived with HKDF-SHA256 from the
 * platform secret (`config.secret`). The additional data binds a sealed value to its tenant and
 * channel, so a value copied into another tenant's row does not open. `env:NAME` references are
 * stored as they are and read from the environment when used.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(
    platformSecret: string,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    if (!platformSecret) throw new RangeError('SecretBox: the platform secret must not be empty');
    this.key = Buffer.from(hkdfSync('sha256', platformSecret, HKDF_SALT, HKDF_INFO, 32));
  }

  /** The stored form of `secret` for channel `channelId` of `tenantId`. */
  seal(secret: string, tenantId: string, channelId: string): string {
    if (isEnvSecretRef(secret)) return secret;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(`${tenantId}\0${channelId}`));
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plain secret of a stored value; throws when it was tampered with, or its env variable is unset. */
  open(stored: string, tenantId: string, channelId: string): string {
    if (isEnvSecretRef(stored)) {
      const name = stored.slice('env:'.length);
      const value = this.env[name];
      if (!value) throw new Error(`channel secret: environment variable ${name} is not set`);
      return value;
    }
    const [version, iv, tag, body] = stored.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('channel secret: unknown sealed format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(`${tenantId}\0${channelId}`));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
