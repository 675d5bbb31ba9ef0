import { Entity, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

/** An API key of a tenant. Only an HMAC of the key is stored; the key itself is shown once. */
@Entity({ tableName: 'api_key' })
export class ApiKey {
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = uuidv7();

  @Index()
  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  /**
   * HMAC-SHA256 of the key under the HKDF-derived `api-key-hash` key, hex: the lookup key. Rows
   * from before the derivation hold HMAC-SHA256(secret, key) until the key's first use.
   */
  @Property({ type: 'string', length: 64, unique: true })
  hash!: string;

  /** First characters of the key, so operators can tell keys apart in `keys list`. */
  @Property({ type: 'string', length: 16 })
  prefix!: string;

  @Property({ type: 'json' })
  scopes!: string[];

  @Property({ type: 'string', length: 128, nullable: true })
  label: string | null = null;

  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Property({ type: 'datetime', nullable: true })
  revokedAt: Date | null = null;
}
