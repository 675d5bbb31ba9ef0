import { GATEWAY_ORM, KeyStore } from '../../gateway/keys/key-store';
import type { Config } from '../../subgraphs/common/config';
import { initOrm } from '../../subgraphs/common/orm';

/** Creates an API key in the benchmark's own key store (the gateway's database) and returns it. */
export async function createApiKey(config: Readonly<Config>, tenant: string, scopes: string[], label: string): Promise<string> {
  const orm = await initOrm(config, GATEWAY_ORM);
  try {
    return (await new KeyStore(orm, config.secret).create(tenant, scopes, label)).key;
  } finally {
    await orm.close(true);
  }
}
