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

export interface CostOptions {
  /**
   * Items a list field without `first`/`last` is counted as (small fixed lists: identities,
   * reasons, steps). Default 10.
   */
  unpagedListSize: number;
}

/**
 * Cost of the operation that will run, computed with its variables: the most fields it can
 * resolve. Every field counts 1 plus its sub-selection, times the items it can return: the
 * `first`/`last` of its resolved arguments (a literal, a variable or the schema default), or
 * `unpagedListSize` for a list without them, so no list is free (a connection's `edges` are counted
 * by its field's page size). Fragments count where they are spread. Unknown fields and unusable
 * variables add nothing: execution refuses those operations anyway.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  options: CostOptions,
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
    if (!node.selectionSet) return 1;
    if (!field) return 0;
    const children = selectionCost(node.selectionSet, getNamedType(field.type) as GraphQLCompositeType, spreading);
    return (1 + children) * itemsOf(field, node, parent);
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
      return isListType(getNullableType(field.type)) ? options.unpagedListSize : 1;
    }
    if (!isListType(getNullableType(field.type))) return 1;
    // a connection's edges are as many as the page size its field was already counted with
    if (parent.name.endsWith('Connection') && (field.name === 'edges' || field.name === 'nodes')) return 1;
    return options.unpagedListSize;
  };

  return selectionCost(operation.selectionSet, root, new Set());
}
