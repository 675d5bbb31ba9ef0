import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createGatewayRuntime, getGraphQLWSOptions, type GatewayRuntime } from '@graphql-hive/gateway-runtime';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';
import { normalizeNodeRequest } from '@whatwg-node/server';
import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

import { CONTEXT_HEADER } from '../subgraphs/common/auth-context';
import { SUBGRAPH_NAMES, type Config } from '../subgraphs/common/config';
import type { Logger } from '../subgraphs/common/logger';
import { outlastClientKeepAlive } from '../subgraphs/common/keep-alive';
import { createRedis } from '../subgraphs/common/redis';
import type { Shutdown } from '../subgraphs/common/shutdown';
import { ProfileEventSender } from '../subgraphs/common/profile-event-sender';
import { createEmailTracking, TRACKING_PATH_PREFIX } from './email-tracking';
import { createAddressThrottle } from './address-throttle';
import { CHANNEL_CALLBACK_PATH_PREFIX, createDeliveryStatusForwarder } from './forward-delivery-status';
import { createSegmentForwarder, SEGMENT_PATH_PREFIX } from './forward-segment-api';
import { CLOSE_TOO_MANY_CONNECTIONS, KeySockets } from './key-sockets';
import { KEY_REVOKED_CHANNEL, type KeyStore } from './keys/key-store';
import { OperationRateLimit } from './operation-rate-limit';
import { bearerKey, useApiKeyAuth, type AuthedContext } from './plugins/use-api-key-auth';
import { useErrorCodes } from './plugins/use-error-codes';
import { useOperationLimits, useQueryCost } from './plugins/use-operation-limits';
import { useRateLimit } from './plugins/use-rate-limit';
import { useScopes } from './plugins/use-scopes';
import { createReadiness } from './readiness';
import { createAuthThrottle } from './auth-throttle';
import { requestClientAddress, trustedProxyList } from './client-address';
import { createContextSigner } from './signed-context';
import { readSupergraph } from './supergraph-file';

export interface GatewayDeps {
  config: Readonly<Config>;
  log: Logger;
  shutdown: Shutdown;
  keys: KeyStore;
  /**
   * Rate limits, the auth throttle and `/readyz`: a producer connection (`createProducerRedis`),
   * so a Redis that is down or hangs fails their commands (they fall back to memory or skip the
   * throttle) instead of holding requests.
   */
  redis: Redis;
}

export interface GatewayOptions {
  /** 0 = any free port (tests). Default: config.ports.gateway. */
  port?: number;
  /** Defaults to schema/supergraph.graphql. */
  supergraphSdl?: string;
  /** Subgraph URLs; default config.subgraphUrls. */
  subgraphUrls?: Record<string, string>;
}

export interface RunningGateway {
  url: string;
  wsUrl: string;
  port: number;
  server: Server;
  runtime: GatewayRuntime<AuthedContext>;
}

const GRAPHQL_PATH = '/graphql';

/**
 * The Hive Gateway runtime (Rust query planner) on node:http + graphql-ws, with API-key auth,
 * per-operation scope checks, operation limits and a signed tenant context for every subgraph call.
 */
export async function createGateway(deps: GatewayDeps, opts: GatewayOptions = {}): Promise<RunningGateway> {
  const { config, log, keys, shutdown } = deps;
  const production = config.production;
  const supergraph = opts.supergraphSdl ?? readSupergraph();
  const urls = opts.subgraphUrls ?? config.subgraphUrls;
  const sign = createContextSigner(config.secret, config.contextTtlSeconds);
  const throttle = createAuthThrottle(deps.redis, { failures: config.authFailuresPerMinute, prefix: config.queuePrefix }, log);
  const trustedProxies = trustedProxyList(config.trustedProxies);

  const transportEntries: Record<string, object> = {
    // subscriptions go to the subgraphs over graphql-ws on the same path as HTTP
    '*.http': { options: { subscriptions: { kind: 'ws', location: GRAPHQL_PATH } } },
  };
  for (const name of SUBGRAPH_NAMES) if (urls[name]) transportEntries[name] = { location: urls[name] };

  const rateLimit = new OperationRateLimit(deps.redis, config.limits, config.queuePrefix);
  const runtime = createGatewayRuntime<AuthedContext>({
    supergraph,
    unifiedGraphHandler,
    transportEntries,
    graphqlEndpoint: GRAPHQL_PATH,
    logging: config.logLevel === 'debug' ? 'debug' : 'warn',
    landingPage: false,
    graphiql: config.graphiql,
    maskedErrors: true,
    disableIntrospection: config.introspection ? undefined : { disableIf: () => true },
    propagateHeaders: {
      fromClientToSubgraphs: ({ context, subgraphName }) => {
        const principal = (context as AuthedContext).principal;
        // each subgraph gets a token only it accepts (audience = its name)
        return principal ? { [CONTEXT_HEADER]: sign(principal, subgraphName.toLowerCase()) } : undefined;
      },
    },
    plugins: () => [
      useApiKeyAuth(keys, GRAPHQL_PATH, throttle, trustedProxies),
      useRateLimit(keys, rateLimit, GRAPHQL_PATH),
      useScopes(supergraph),
      useOperationLimits(config.limits, production),
      useQueryCost(config.limits, production),
      useErrorCodes(),
    ],
  });
  shutdown.defer(() => runtime.dispose());

  // Other gateway instances (and the keys CLI) announce revocations: drop the key from the cache
  // and close its sockets, which ends every subscription it holds here.
  const keySockets = new KeySockets(config.limits.wsConnectionsPerKey);
  const revocations = createRedis(config.redisUrl, shutdown, 'foresight-gateway-revocations');
  await revocations.subscribe(KEY_REVOKED_CHANNEL);
  revocations.on('message', (_channel: string, hash: string) => {
    keys.evict(hash);
    const closed = keySockets.closeKey(hash);
    if (closed) log.info({ closed }, 'closed the sockets of a revoked key');
  });

  // the Segment tracking API is served by the signals service, behind the same key check
  const segmentApi = createSegmentForwarder({
    keys,
    sign,
    throttle,
    trustedProxies,
    log,
    signalsBaseUrl: urls.signals ? urls.signals.replace(/\/graphql$/, '') : null,
  });

  // email opens and clicks come back as events through the same Segment API of signals
  const trackingThrottle = createAddressThrottle(deps.redis, { route: 'tracking', requests: config.trackingRequestsPerMinute, prefix: config.queuePrefix }, log);
  const emailTracking = createEmailTracking({
    secret: config.secret,
    log,
    throttle: (req) => trackingThrottle.take(requestClientAddress(req, trustedProxies)),
    sender:
      urls.signals && urls.profiles
        ? new ProfileEventSender({
            secret: config.secret,
            contextTtlSeconds: config.contextTtlSeconds,
            profilesUrl: urls.profiles,
            signalsBaseUrl: urls.signals.replace(/\/graphql$/, ''),
            writer: 'email-tracking',
          })
        : null,
  });

  // providers report deliveries, bounces and complaints to the actions service, signed per channel
  // with a budget per client address of their own: they take no API key either
  const callbackThrottle = createAddressThrottle(deps.redis, { route: 'callback', requests: config.callbackRequestsPerMinute, prefix: config.queuePrefix }, log);
  const deliveryStatus = createDeliveryStatusForwarder({
    actionsBaseUrl: urls.actions ? urls.actions.replace(/\/graphql$/, '') : null,
    log,
    throttle: (req) => callbackThrottle.take(requestClientAddress(req, trustedProxies)),
  });

  const readiness = createReadiness(deps.redis, urls);
  const server = createServer((req, res) => {
    if (req.url === '/healthz') return sendJson(res, 200, { status: 'ok', service: 'gateway' });
    // before the Segment API, whose prefix (/v1/) contains this one
    if (req.url?.toLowerCase().startsWith(CHANNEL_CALLBACK_PATH_PREFIX)) {
      return void deliveryStatus(req, res).catch((err: unknown) => {
        log.error({ err }, 'delivery callback forwarding failed');
        if (!res.headersSent) sendJson(res, 500, { accepted: false, code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' });
        else res.destroy();
      });
    }
    if (req.url?.startsWith(SEGMENT_PATH_PREFIX)) {
      return void segmentApi(req, res).catch((err: unknown) => {
        log.error({ err }, 'segment api forwarding failed');
        if (!res.headersSent) sendJson(res, 500, { success: false, code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' });
        else res.destroy();
      });
    }
    if (req.url?.startsWith(TRACKING_PATH_PREFIX)) {
      return void emailTracking(req, res).catch((err: unknown) => {
        log.error({ err }, 'email tracking failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal server error\n');
        else res.destroy();
      });
    }
    if (req.method === 'POST' && req.url?.split('?')[0] === GRAPHQL_PATH) {
      const refusal = bodyRefusal(req, config.limits.graphqlBodyBytes);
      if (refusal) return sendJson(res.setHeader('connection', 'close'), refusal.status, { errors: [{ message: refusal.message, extensions: { code: refusal.code } }] });
    }
    if (req.url === '/readyz') return void readiness().then(({ ok, checks }) => sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready', checks }));
    return runtime(req as IncomingMessage, res as ServerResponse);
  });

  // The runtime must have its schema before the first subscription arrives.
  await runtime.getSchema();
  // maxPayload holds from the first frame, before connection_init is authenticated
  const wss = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: config.limits.wsMaxPayloadBytes });
  const wsOptions = getGraphQLWSOptions<AuthedContext, Extra & Record<PropertyKey, unknown>>(runtime, (ctx) => ({
    req: ctx.extra.request,
    socket: ctx.extra.socket,
    // without `request`, propagateHeaders sees nothing for subscriptions
    request: normalizeNodeRequest(ctx.extra.request, runtime.fetchAPI),
  }));
  const ws = useServer<Record<string, unknown>, Extra & Record<PropertyKey, unknown>>(
    {
      ...wsOptions,
      // a bad key is refused at connection_init (close 4403) rather than per operation
      onConnect: async (ctx) => {
        const address = requestClientAddress(ctx.extra.request, trustedProxies);
        if ((await throttle.blockedFor(address)) !== null) return false;
        const key = bearerKey(ctx.connectionParams);
        if (!key || !(await keys.resolve(key))) {
          await throttle.failed(address);
          return false;
        }
        if (!keySockets.add(keys.hashOf(key), ctx.extra.socket)) {
          ctx.extra.socket.close(CLOSE_TOO_MANY_CONNECTIONS, `over ${config.limits.wsConnectionsPerKey} connections for this API key`);
          return false;
        }
        return true;
      },
      onSubscribe: (ctx, id, payload) => {
        // the new operation is already in ctx.subscriptions
        if (Object.keys(ctx.subscriptions).length > config.limits.wsSubscriptionsPerConnection) {
          return [
            new GraphQLError(`over ${config.limits.wsSubscriptionsPerConnection} operations on this connection: complete one or open another connection`, {
              extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
            }),
          ];
        }
        return wsOptions.onSubscribe?.(ctx, id, payload);
      },
    },
    wss,
  );

  outlastClientKeepAlive(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? config.ports.gateway, config.host, () => resolve());
  });
  shutdown.defer(async () => {
    for (const client of wss.clients) client.terminate();
    await ws.dispose();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  log.info({ port }, 'gateway listening');
  return { url: `http://${host}:${port}${GRAPHQL_PATH}`, wsUrl: `ws://${host}:${port}${GRAPHQL_PATH}`, port, server, runtime };
}

/**
 * The one body limit of `/graphql`, checked on the declared length before anything is read: over
 * it 413; a body without a length (chunked) 411, as its size is only known once read.
 */
function bodyRefusal(req: IncomingMessage, limit: number): { status: number; code: string; message: string } | null {
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    return req.headers['transfer-encoding'] ? { status: 411, code: 'LENGTH_REQUIRED', message: 'send the body with a Content-Length' } : null;
  }
  if (Number(declared) > limit) return { status: 413, code: 'BODY_TOO_LARGE', message: `the body is over the limit of ${limit} bytes` };
  return null;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
