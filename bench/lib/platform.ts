// The whole platform as `npm start` runs it, for the end-to-end benchmarks: the four subgraphs, one
// child process each with its BullMQ workers, and the gateway in a fifth, on free ports of
// 127.0.0.1, plus an API key of the benchmark's tenant.
import { SUBGRAPHS } from '../../subgraphs';
import type { BenchEnv } from './bench-env';
import { Child } from './child';
import type { StartGatewayRequest } from './gateway-process';
import { createApiKey } from './keys';
import { round2 } from './report';
import { applyMissingSchema } from './schema-drift';
import type { StartSubgraphsRequest } from './subgraphs-process';

/** A running platform. */
export interface Platform {
  /** `http://127.0.0.1:<port>/graphql` of the gateway. */
  graphqlUrl: string;
  /** The gateway's Segment-compatible batch endpoint. */
  batchUrl: string;
  /** An API key of the tenant with the scopes asked for. */
  key: string;
  /** Each child by name (`profiles`, `signals`, `risk`, `actions`, `gateway`), for CPU readings. */
  processes: Record<string, Child>;
  /** Start-up time of the whole stack, s. */
  startSeconds: number;
  /** PostgreSQL DDL the checked-in migrations lacked and the schema generator added (see schema-drift.ts). */
  schemaDrift: string[];
  /** Asks every child to exit (gateway first), killing any that does not. */
  stop(): Promise<void>;
  /** SIGKILLs every child (Ctrl-C). */
  kill(): void;
}

/** Starts the platform on `env` and creates a key for `tenant` with `scopes`. */
export async function startPlatform(env: BenchEnv, tenant: string, scopes: string[], label: string): Promise<Platform> {
  const t0 = performance.now();
  const children: Child[] = [];
  const stop = async () => {
    for (const c of children.splice(0).reverse()) await c.stop();
  };
  try {
    const schemaDrift: string[] = [];
    for (const def of SUBGRAPHS) schemaDrift.push(...(await applyMissingSchema(env.config, def.orm)));
    const started = await Promise.all(
      SUBGRAPHS.map(async ({ name }) => {
        const child = await Child.start('subgraphs-process', name, env.vars);
        children.push(child);
        return child.call<Record<string, string>>('start', { only: [name], workers: true } satisfies StartSubgraphsRequest);
      }),
    );
    const subgraphUrls = Object.assign({}, ...started) as Record<string, string>;
    const key = await createApiKey(env.config, tenant, scopes, label);
    const gateway = await Child.start('gateway-process', 'gateway', env.vars);
    children.push(gateway);
    const graphqlUrl = await gateway.call<string>('start', { kind: 'ours', subgraphUrls } satisfies StartGatewayRequest);
    return {
      graphqlUrl,
      batchUrl: graphqlUrl.replace(/\/graphql$/, '/v1/batch'),
      key,
      processes: Object.fromEntries(children.map((c) => [c.label, c])),
      startSeconds: round2((performance.now() - t0) / 1000),
      schemaDrift,
      stop,
      kill: () => children.forEach((c) => c.kill()),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
