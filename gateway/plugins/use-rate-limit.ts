import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError } from 'graphql';

import type { KeyStore } from '../keys/key-store';
import type { OperationRateLimit, RateLimited } from '../operation-rate-limit';
import { bearerKey, type AuthedContext } from './use-api-key-auth';

function rateLimitedError(refusal: RateLimited): GraphQLError {
  return new GraphQLError(refusal.message, {
    extensions: {
      code: 'RATE_LIMITED',
      limit: refusal.limit,
      retryAfterSeconds: refusal.retryAfterSeconds,
      http: { status: 429, headers: { 'retry-after': String(refusal.retryAfterSeconds) } },
    },
  });
}

/**
 * Operations per second per API key and per tenant (`OperationRateLimit`). An HTTP request is
 * counted in `onRequest`, before any parsing, and refused with 429 and `Retry-After`; an operation
 * over graphql-ws (no HTTP request of its own) is counted when it runs and refused with a
 * `RATE_LIMITED` error carrying `retryAfterSeconds`. Goes after `useApiKeyAuth`, which answers
 * requests without a valid key.
 */
export function useRateLimit(keys: KeyStore, limiter: OperationRateLimit, graphqlEndpoint: string): GatewayPlugin<AuthedContext> {
  const counted = new WeakSet<Request>();
  const checkOperation = async (context: AuthedContext & { request?: Request }): Promise<GraphQLError | null> => {
    if (context.request && counted.has(context.request)) return null;
    if (!context.principal) return null;
    const refusal = await limiter.admit(context.principal);
    return refusal && rateLimitedError(refusal);
  };
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== graphqlEndpoint) return;
      const key = bearerKey(request.headers);
      // the look-up is cached by the key store; useApiKeyAuth has already answered a bad key
      const principal = key ? await keys.resolve(key) : null;
      if (!principal) return;
      counted.add(request);
      const refusal = await limiter.admit(principal);
      if (!refusal) return;
      endResponse(
        new fetchAPI.Response(JSON.stringify({ errors: [rateLimitedError(refusal).toJSON()] }), {
          status: 429,
          headers: { 'content-type': 'application/json', 'retry-after': String(refusal.retryAfterSeconds) },
        }),
      );
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const err = await checkOperation(args.contextValue);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const err = await checkOperation(args.contextValue);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
  };
}
