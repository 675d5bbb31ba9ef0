/**
 * `_entities` resolution for the `Profile` stubs of the non-owning subgraphs: the representation
 * is handed back as is, and their field resolvers do the tenant-scoped reads.
 */
export const profileReferenceResolver = {
  Profile: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
};
