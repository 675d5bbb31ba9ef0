import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type ExecutionArgs } from 'graphql';

import type { Config } from '../../subgraphs/common/config';
import { operationCost } from './query-cost';
import type { AuthedContext } from './use-api-key-auth';

/**
 * Static limits checked at validation, before any subgraph call: depth, aliases, tokens and
 * directives (graphql-armor). In production the messages do not reveal the limits and field
 * suggestions are suppressed (they leak the schema when introspection is off).
 */
export function useOperationLimits(limits: Config['limits'], production: boolean) {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, exposeLimits: !production, flattenFragments: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: !production },
    maxTokens: { n: limits.maxTokens, exposeLimits: !production },
    maxDirectives: { n: 20, exposeLimits: !production },
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: production },
  });
}

/**
 * The cost limit, checked when the operation is about to run and its variables are known (a
 * validation rule never sees them, so `first: $n` would count as 1): see `operationCost`.
 */
export function useQueryCost(limits: Config['limits'], production: boolean): GatewayPlugin<AuthedContext> {
  const options = { unpagedListSize: limits.unpagedListSize };
  const check = (args: ExecutionArgs): GraphQLError | null => {
    const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues, options);
    if (cost <= limits.maxCost) return null;
    const message = production
      ? 'the operation is too expensive: ask for fewer items (first/last) or fewer nested lists'
      : `the operation costs ${Math.ceil(cost)}, over the limit of ${limits.maxCost}: ask for fewer items (first/last) or fewer nested lists`;
    return new GraphQLError(message, { extensions: { code: 'COST_LIMIT_EXCEEDED', http: { status: 400 } } });
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const err = check(args);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const err = check(args);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
  };
}
