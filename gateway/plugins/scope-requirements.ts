import {
  Kind,
  TypeInfo,
  parse,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type StringValueNode,
  type ListValueNode,
} from 'graphql';

import { hasScope } from '../../subgraphs/common/auth-context';

/** `@requiresScopes(scopes: [[a, b], [c]])` means (a AND b) OR c. */
export type ScopeRequirement = string[][];

/**
 * Reads every `@requiresScopes` of the supergraph into `Type.field → requirement`. The subgraphs
 * declare the scopes next to their resolvers; the gateway derives its checks from the same source.
 */
export function scopeRequirementsFromSupergraph(supergraphSdl: string): Map<string, ScopeRequirement> {
  const map = new Map<string, ScopeRequirement>();
  for (const def of parse(supergraphSdl).definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of def.fields ?? []) {
      const directive = field.directives?.find((d) => d.name.value === 'requiresScopes');
      const arg = directive?.arguments?.find((a) => a.name.value === 'scopes');
      if (!arg || arg.value.kind !== Kind.LIST) continue;
      const requirement = arg.value.values.map((and) =>
        (and as ListValueNode).values.map((s) => (s as StringValueNode).value),
      );
      map.set(`${def.name.value}.${field.name.value}`, requirement);
    }
  }
  return map;
}

/** Every distinct requirement an operation document touches (fragments included). */
export function requirementsOf(
  document: DocumentNode,
  schema: GraphQLSchema,
  requirements: Map<string, ScopeRequirement>,
): { field: string; requirement: ScopeRequirement }[] {
  const found = new Map<string, { field: string; requirement: ScopeRequirement }>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        const field = `${parent.name}.${node.name.value}`;
        const requirement = requirements.get(field);
        if (requirement && !found.has(field)) found.set(field, { field, requirement });
      },
    }),
  );
  return [...found.values()];
}

/** True when the granted scopes satisfy one of the requirement's alternatives. */
export function satisfies(granted: readonly string[], requirement: ScopeRequirement): boolean {
  return requirement.some((all) => all.every((scope) => hasScope(granted, scope)));
}
