import type { BlockList } from 'node:net';

import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';

import type { TenantContext } from '../../subgraphs/common/auth-context';
import { throttledAnswer, type AuthThrottle } from '../auth-throttle';
import { requestClientAddress } from '../client-address';
import type { KeyStore } from '../keys/key-store';

/** Context key under which the resolved caller travels through the gateway. */
export interface AuthedContext {
  principal?: TenantContext;
}

/** The key from `Authorization: Bearer <key>` (header or graphql-ws connectionParams, any case). */
export function bearerKey(source: Record<string, unknown> | Headers | null | undefined): string | null {
  if (!source) return null;
  // whatwg-node may hand us its own Headers implementation, so test the shape, not the class
  const raw =
    typeof (source as Headers).get === 'function'
      ? (source as Headers).get('authorization')
      : ((source as Record<string, unknown>).authorization ?? (source as Record<string, unknown>).Authorization);
  if (typeof raw !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(raw.trim());
  return match ? match[1] : null;
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
}

/**
 * Authenticates every operation by API key before any GraphQL work: HTTP requests without a
 * valid key get a 401 from `onRequest`; WebSocket operations resolve the key from the
 * connection's `connectionParams` (also checked at `connection_init`, see create-gateway.ts).
 * Failed authentications count against the client address (`trustedProxies`: see client-address.ts).
 */
export function useApiKeyAuth(keys: KeyStore, graphqlEndpoint: string, throttle: AuthThrottle, trustedProxies: BlockList): GatewayPlugin<AuthedContext> {
  const principals = new WeakMap<Request, TenantContext>();
  return {
    async onRequest({ request, url, endResponse, fetchAPI, serverContext }) {
      if (url.pathname !== graphqlEndpoint) return;
      const address = serverClientAddress(serverContext, trustedProxies);
      const wait = await throttle.blockedFor(address);
      if (wait !== null) {
        const { message, headers } = throttledAnswer(wait);
        const error = new GraphQLError(message, { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: wait } });
        return endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [error.toJSON()] }), { status: 429, headers: { 'content-type': 'application/json', ...headers } }),
        );
      }
      const key = bearerKey(request.headers);
      const principal = key ? await keys.resolve(key) : null;
      if (principal) {
        principals.set(request, principal);
        return;
      }
      await throttle.failed(address);
      const message = key ? 'invalid or revoked API key' : 'missing API key: send Authorization: Bearer <key>';
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [unauthenticated(message).toJSON()] }), {
          status: 401,
          headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' },
        }),
      );
    },
    async onContextBuilding({ context, extendContext }) {
      const ctx = context as typeof context & { request?: Request; connectionParams?: Record<string, unknown> };
      let principal = ctx.request ? principals.get(ctx.request) : undefined;
      if (!principal && ctx.connectionParams) {
        const key = bearerKey(ctx.connectionParams);
        principal = (key && (await keys.resolve(key))) || undefined;
      }
      if (!principal) throw unauthenticated('missing or invalid API key');
      extendContext({ principal });
    },
  };
}

/** The client address of a request served by node:http (the runtime's server context carries `req`). */
export function serverClientAddress(serverContext: unknown, trustedProxies: BlockList): string {
  return requestClientAddress((serverContext as { req?: Parameters<typeof requestClientAddress>[0] } | undefined)?.req, trustedProxies);
}
