import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { ArgumentValidationError, AuthorizationError } from 'type-graphql';
import { WebSocketServer } from 'ws';

import { CONTEXT_HEADER, verifyContext, type TenantContext } from './auth-context';
import { AppError } from './errors';
import { outlastClientKeepAlive } from './keep-alive';
import type { Logger } from './logger';
import { isRedisUnavailable, REDIS_DOWN_RETRY_AFTER_SECONDS } from './redis';
import type { RequestContext } from './request-context';
import type { Shutdown } from './shutdown';

/** A plain node:http handler: answers the request and returns true, or returns false to leave it. */
export type RawHttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface ServeSubgraphOptions<C extends RequestContext> {
  name: string;
  schema: GraphQLSchema;
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  secret: string;
  /** Longest lifetime this subgraph accepts on a signed tenant context, in seconds. */
  contextTtlSeconds: number;
  log: Logger;
  shutdown: Shutdown;
  /** Largest `/graphql` request body, in bytes (`config.limits.subgraphBodyBytes`). */
  maxBodyBytes: number;
  /** Builds the per-request context: forks the entity manager and the services on it. */
  createContext: (auth: TenantContext, requestId: string) => C;
  /**
   * Tried on every HTTP request before express (see `SubgraphDefinition.httpHandler`): a hot path
   * skips express's routing, body parsing and response helpers. What it leaves goes to express.
   */
  handleRaw?: RawHttpHandler;
}

export interface ServedSubgraph {
  url: string;
  port: number;
  server: Server;
}

/**
 * One subgraph on HTTP (Apollo Server 5) and graphql-ws, both on `/graphql`. Every operation must
 * carry a valid signed tenant context from the gateway, so the subgraph cannot be reached around it.
 */
export async function serveSubgraph<C extends RequestContext>(opts: ServeSubgraphOptions<C>): Promise<ServedSubgraph> {
  const { schema, log, secret } = opts;
  const app = express();
  const server = createServer((req, res) => {
    if (!opts.handleRaw?.(req, res)) app(req, res);
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });

  const authenticate = (token: unknown): TenantContext => {
    // the token must be meant for this subgraph (its audience is the subgraph's name)
    const auth = verifyContext(token, secret, opts.name, opts.contextTtlSeconds);
    if (!auth) {
      throw new GraphQLError('missing or invalid signed tenant context: call this service through the gateway', {
        extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
      });
    }
    return auth;
  };
  // the request id of the HTTP request being answered, for formatError (which gets no context)
  const requestIds = new AsyncLocalStorage<string>();
  const format = (formatted: GraphQLFormattedError, error: unknown, requestId = requestIds.getStore()) =>
    formatError(formatted, error, log, requestId);

  // The tenant is checked per subscribe message, never per connection: the gateway multiplexes
  // several tenants over one socket.
  const ws = useServer<Record<string, unknown>>(
    {
      schema,
      onSubscribe: (_ctx, _id, payload) => {
        try {
          authenticate(wsContextToken(payload.extensions));
        } catch (err) {
          return [err as GraphQLError];
        }
        return undefined;
      },
      context: (_ctx, _id, payload) =>
        opts.createContext(authenticate(wsContextToken(payload.extensions)), randomUUID()),
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return result;
        const requestId = (args.contextValue as Partial<RequestContext> | undefined)?.requestId;
        return { ...result, errors: result.errors.map((e) => format(e.toJSON(), e, requestId)) };
      },
    },
    wss,
  );

  const drainWs: ApolloServerPlugin = {
    async serverWillStart() {
      return { drainServer: async () => void (await ws.dispose()) };
    },
  };
  const apollo = new ApolloServer<C>({
    schema,
    formatError: format,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer: server }), drainWs],
    logger: { debug: () => undefined, info: () => undefined, warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', service: opts.name }));
  app.use(
    '/graphql',
    (req, _res, next) => requestIds.run(requestIdOf(req), next),
    express.json({ limit: opts.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req }) => opts.createContext(authenticate(req.headers[CONTEXT_HEADER]), requestIds.getStore() ?? requestIdOf(req)),
    }),
  );

  outlastClientKeepAlive(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  opts.shutdown.defer(() => apollo.stop());
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host}:${port}/graphql`;
  log.info({ url }, `${opts.name} subgraph listening`);
  return { url, port, server };
}

/** The gateway's request id when it sent a usable one (it ends up in logs and answers), else a new one. */
function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(given) ? given : randomUUID();
}

/** The gateway forwards propagated headers of a subscription inside `extensions.headers`. */
function wsContextToken(extensions: Record<string, unknown> | undefined | null): unknown {
  const headers = extensions?.headers as Record<string, unknown> | undefined;
  return headers?.[CONTEXT_HEADER];
}

const CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * The one place errors become client-visible: `AppError` codes pass through, authorization and
 * validation failures get their codes, and anything else is masked: the client gets a fixed
 * message and the request id, the log gets the error (its SQL cut by the logger's serializer).
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown, log: Logger, requestId?: string): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AppError) {
    return { ...formatted, message: original.message, extensions: { code: original.code, ...original.details } };
  }
  if (original instanceof AuthorizationError) {
    return { ...formatted, message: 'missing scope for this field', extensions: { code: 'FORBIDDEN' } };
  }
  if (original instanceof ArgumentValidationError) {
    const fields = original.extensions.validationErrors?.map((v) => ({
      field: v.property,
      constraints: v.constraints,
    }));
    return { ...formatted, message: 'invalid arguments', extensions: { code: 'BAD_USER_INPUT', fields } };
  }
  if (isRedisUnavailable(original)) {
    // a producer command refused or timed out while Redis is down: retryable, not a bug
    log.warn({ err: original, path: formatted.path, requestId }, 'redis unreachable during a request');
    return { ...formatted, message: 'the queue (Redis) is unreachable: retry later', extensions: { code: 'UNAVAILABLE', retryAfterSeconds: REDIS_DOWN_RETRY_AFTER_SECONDS } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && CLIENT_CODES.has(code)) return formatted;
  log.error({ err: original, path: formatted.path, requestId }, 'unexpected error in resolver');
  return {
    message: `Internal server error${requestId ? ` (request id ${requestId})` : ''}`,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId && { requestId }) },
  };
}
