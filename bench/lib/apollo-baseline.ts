import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { GraphQLError } from 'graphql';

import { bearerKey } from '../../gateway/plugins/use-api-key-auth';
import type { KeyStore } from '../../gateway/keys/key-store';
import { CONTEXT_HEADER, signContext, type TenantContext } from '../../subgraphs/common/auth-context';
import type { Config } from '../../subgraphs/common/config';

interface BaselineContext {
  principal: TenantContext;
}

export interface BaselineGateway {
  url: string;
  stop(): Promise<void>;
}

const quiet = { debug: () => undefined, info: () => undefined, warn: console.warn, error: console.error };

/**
 * `@apollo/gateway` refuses supergraphs linking `requiresScopes` `for: SECURITY` (Router-only,
 * federation-internals ROUTER_SUPPORTED_SUPERGRAPH_FEATURES). Without the purpose it loads the
 * supergraph and ignores the directive: the baseline does not enforce scopes, ours does.
 */
export function withoutSecurityFeatures(sdl: string): string {
  const out = sdl.replace(/(@link\(url: "https:\/\/specs\.apollo\.dev\/requiresScopes\/v[\d.]+"), for: SECURITY\)/g, '$1)');
  if (/for: SECURITY/.test(out)) throw new Error('the supergraph links another SECURITY feature: extend withoutSecurityFeatures');
  return out;
}

/**
 * The baseline: `@apollo/gateway` on Apollo Server 5 (standalone), planning from the same committed
 * supergraph, calling the same running subgraphs, with the same auth work as ours: the Bearer key
 * resolved through the KeyStore (cached) per request, a signed tenant context on every subgraph call.
 */
export async function startApolloBaseline(
  config: Readonly<Config>,
  keys: KeyStore,
  supergraphSdl: string,
  subgraphUrls: Record<string, string>,
): Promise<BaselineGateway> {
  const gateway = new ApolloGateway({
    supergraphSdl: withoutSecurityFeatures(supergraphSdl),
    logger: quiet,
    buildService: ({ name }) => {
      const url = subgraphUrls[name];
      if (!url) throw new Error(`no running subgraph for "${name}"`);
      return new RemoteGraphQLDataSource<BaselineContext>({
        url,
        willSendRequest({ request, context }) {
          const principal = (context as Partial<BaselineContext>).principal;
          if (principal) request.http?.headers.set(CONTEXT_HEADER, signContext(principal, config.secret, name, config.contextTtlSeconds));
        },
      });
    },
  });
  const server = new ApolloServer<BaselineContext>({ gateway, logger: quiet });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      const key = bearerKey(req.headers as Record<string, unknown>);
      const principal = key ? await keys.resolve(key) : null;
      if (!principal) {
        throw new GraphQLError('missing or invalid API key', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
      }
      return { principal };
    },
  });
  return { url: new URL('/graphql', url).toString(), stop: () => server.stop() };
}
