import { Authorized, Directive } from 'type-graphql';

import type { Scope } from './auth-context';

/**
 * Marks a field as needing a scope, twice: `@requiresScopes` goes into the supergraph, where the
 * gateway checks it once per operation, and `@Authorized` re-checks it in the subgraph against
 * the signed context (the second lock).
 */
export function RequireScope(scope: Scope): MethodDecorator & PropertyDecorator {
  const directive = Directive(`@requiresScopes(scopes: [["${scope}"]])`);
  const authorized = Authorized(scope);
  return (target: object, key: string | symbol, descriptor?: PropertyDescriptor) => {
    (authorized as (t: object, k: string | symbol, d?: PropertyDescriptor) => void)(target, key, descriptor);
    (directive as (t: object, k: string | symbol, d?: PropertyDescriptor) => void)(target, key, descriptor);
  };
}
