import type { GatewayPlugin } from '@graphql-hive/gateway-runtime';
import { GraphQLError, type DocumentNode, type GraphQLSchema } from 'graphql';

import type { AuthedContext } from './use-api-key-auth';
import { requirementsOf, satisfies, scopeRequirementsFromSupergraph, type ScopeRequirement } from './scope-requirements';

/**
 * Enforces `@requiresScopes` once per operation, before any subgraph is called: the fields an
 * operation touches are worked out once per parsed document (the runtime caches parsing, so
 * repeated operations share the DocumentNode) and checked against the caller's scopes.
 */
export function useScopes(supergraphSdl: string): GatewayPlugin<AuthedContext> {
  const requirements = scopeRequirementsFromSupergraph(supergraphSdl);
  const perDocument = new WeakMap<DocumentNode, { field: string; requirement: ScopeRequirement }[]>();

  const check = (document: DocumentNode, schema: GraphQLSchema, granted: readonly string[]): GraphQLError | null => {
    let needed = perDocument.get(document);
    if (!needed) {
      needed = requirementsOf(document, schema, requirements);
      perDocument.set(document, needed);
    }
    const missing = needed.filter((n) => !satisfies(granted, n.requirement));
    if (missing.length === 0) return null;
    const detail = missing.map((m) => `${m.field} needs ${m.requirement.map((a) => a.join(' + ')).join(' or ')}`);
    return new GraphQLError(`missing scope: ${detail.join('; ')}`, {
      extensions: { code: 'FORBIDDEN', http: { status: 403 } },
    });
  };

  return {
    onExecute({ args, setResultAndStopExecution }) {
      const err = check(args.document, args.schema, args.contextValue.principal?.scopes ?? []);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const err = check(args.document, args.schema, args.contextValue.principal?.scopes ?? []);
      if (err) setResultAndStopExecution({ errors: [err] });
    },
  };
}
