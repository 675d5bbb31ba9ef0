import {
  Kind,
  getArgumentValues,
  getNamedType,
  getNullableType,
  isListType,
  isObjectType,
  isInterfaceType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export interface CostWeights {
  /** Cost of a field with a selection set. Default 2 (as graphql-armor). */
  objectCost: number;
  /** Cost of a leaf field. Default 1. */
  scalarCost: number;
  /** Each level of nesting multiplies its children's cost by this. Default 1.5. */
  depthCostFactor: number;
  /**
   * Items a list field without `first`/`last` is counted as (small fixed lists: identities,
   * reasons, steps). Default 10.
   */
  unpagedListSize: number;
}

export const COST_WEIGHTS: Omit<CostWeights, 'unpagedListSize'> = { objectCost: 2, scalarCost: 1, depthCostFactor: 1.5 };

/**
 * Static cost of the operation that will run, computed with its variables: the shape of
 * graphql-armor's estimate (object 2, scalar 1, ×1.5 per level), but a field's `first`/`last` is
 * read from its resolved argument values (a literal, a variable or the schema default), and a
 * list without them counts `unpagedListSize` items, so no list is free. Fragments are flattened
 * into the selection that spreads them. Unknown fields and unusable variables add nothing:
 * execution refuses those operations anyway.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  weights: CostWeights,
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName)) operation ??= def;
  }
  if (!operation) return 0;
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const vars = (variables ?? {}) as Record<string, unknown>;

  const selectionCost = (set: SelectionSetNode, parent: GraphQLNamedType, spreading: ReadonlySet<string>): number => {
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        cost += fieldCost(selection, parent, spreading);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const on = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (on) cost += selectionCost(selection.selectionSet, on, spreading);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // a cycle is refused by validation; never loop on one
        if (!fragment || spreading.has(name)) continue;
        const on = schema.getType(fragment.typeCondition.name.value);
        if (on) cost += selectionCost(fragment.selectionSet, on, new Set([...spreading, name]));
      }
    }
    return cost;
  };

  const fieldCost = (node: FieldNode, parent: GraphQLNamedType, spreading: ReadonlySet<string>): number => {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') return 0;
    const field = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
    if (!node.selectionSet) return weights.scalarCost;
    if (!field) return 0;
    const children = selectionCost(node.selectionSet, getNamedType(field.type) as GraphQLCompositeType, spreading);
    return (weights.objectCost + weights.depthCostFactor * children) * itemsOf(field, node, parent);
  };

  const itemsOf = (field: GraphQLField<unknown, unknown>, node: FieldNode, parent: GraphQLNamedType): number => {
    const paged = field.args.some((a) => a.name === 'first' || a.name === 'last');
    if (paged) {
      let values: Record<string, unknown>;
      try {
        values = getArgumentValues(field, node, vars);
      } catch {
        return 1;
      }
      const n = Number(values.first ?? values.last);
      if (Number.isFinite(n)) return Math.max(1, n);
      // an absent or null page size with no default: the server's own cap applies, counted as unpaged
      return isListType(getNullableType(field.type)) ? weights.unpagedListSize : 1;
    }
    if (!isListType(getNullableType(field.type))) return 1;
    // a connection's edges are as many as the page size its field was already counted with
    if (parent.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes')) return 1;
    return weights.unpagedListSize;
  };

  return selectionCost(operation.selectionSet, root, new Set());
}
