import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import {
  buildSchema,
  createResolversMap,
  type AuthChecker,
  type NonEmptyArray,
  type PubSub,
} from 'type-graphql';

import { hasScope } from './auth-context';
import type { RequestContext } from './request-context';

/** Federation 2.7 directives our subgraphs may use; `@requiresScopes` needs ≥ 2.5. */
const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@requiresScopes", "@inaccessible"])`;

/** `@Authorized(scope)` passes when the signed context grants any of the listed scopes. */
export const scopeAuthChecker: AuthChecker<RequestContext> = ({ context }, scopes) =>
  scopes.length === 0 || scopes.some((scope) => hasScope(context.auth.scopes, scope));

/** `__resolveReference` per entity type, for the types this subgraph owns or extends. */
export type ReferenceResolvers = Record<string, { __resolveReference: (ref: never, ctx: never) => unknown }>;

export interface SubgraphSchemaOptions {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  resolvers: NonEmptyArray<Function>;
  referenceResolvers?: ReferenceResolvers;
  /** Entity stubs reachable only through `_entities` (e.g. the extended `Profile`). */
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entityTypes?: Function[];
  pubSub?: PubSub;
}

/**
 * type-graphql classes → a federation 2 subgraph schema. type-graphql does not know federation,
 * so its schema is printed with directives and rebuilt by `buildSubgraphSchema`, which adds
 * `_service`, `_entities` and the `@link` imports.
 */
export async function buildFederatedSchema(options: SubgraphSchemaOptions): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: options.resolvers,
    pubSub: options.pubSub,
    orphanedTypes: options.entityTypes,
    authChecker: scopeAuthChecker,
    validate: { forbidUnknownValues: false },
    // the federation directives are only known once buildSubgraphSchema reads the @link
    skipCheck: true,
  });
  const resolvers = createResolversMap(schema) as Record<string, Record<string, unknown>>;
  for (const [type, ref] of Object.entries(options.referenceResolvers ?? {})) {
    resolvers[type] = { ...resolvers[type], ...ref };
  }
  return buildSubgraphSchema({
    typeDefs: parse(`${FEDERATION_LINK}\n${printSchemaWithDirectives(schema)}`),
    resolvers: resolvers as never,
  });
}
