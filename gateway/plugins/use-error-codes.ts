import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/**
 * Gives a code to the errors graphql-js raises without one before any resolver runs: a variable
 * whose value does not fit its type (`Variable "$id" got invalid value []`) is the client's
 * mistake, so it reads `BAD_USER_INPUT`, as every other refusal carries a code a client can act on.
 */
export function useErrorCodes(): GatewayPlugin {
  return {
    onExecutionResult({ result, setResult }) {
      if (!result || Symbol.asyncIterator in result || !result.errors?.some(lacksCode)) return;
      setResult({ ...result, errors: result.errors.map((e) => (lacksCode(e) ? withCode(e) : e)) });
    },
  };
}

function lacksCode(error: GraphQLError | GraphQLFormattedError): boolean {
  return typeof error.extensions?.code !== 'string' && /^Variable "\$/.test(error.message);
}

function withCode(error: GraphQLError | GraphQLFormattedError): GraphQLError {
  const original = error instanceof GraphQLError ? error : undefined;
  return new GraphQLError(error.message, {
    nodes: original?.nodes,
    originalError: original?.originalError ?? undefined,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}
