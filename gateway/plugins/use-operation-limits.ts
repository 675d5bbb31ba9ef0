import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';

import type { Config } from '../../subgraphs/common/config';

/**
 * Static limits checked at validation, before any subgraph call: depth, aliases, tokens and
 * graphql-armor's cost estimate. In production the messages do not reveal the limits and field
 * suggestions are suppressed (they leak the schema when introspection is off).
 */
export function useOperationLimits(limits: Config['limits'], production: boolean) {
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.maxDepth, exposeLimits: !production, flattenFragments: true },
    maxAliases: { n: limits.maxAliases, exposeLimits: !production },
    maxTokens: { n: limits.maxTokens, exposeLimits: !production },
    maxDirectives: { n: 20, exposeLimits: !production },
    costLimit: { maxCost: limits.maxCost, exposeLimits: !production },
    blockFieldSuggestion: { enabled: production },
  });
}
