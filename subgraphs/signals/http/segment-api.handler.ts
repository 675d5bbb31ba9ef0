import type { IncomingMessage, ServerResponse } from 'node:http';

import { CONTEXT_HEADER, hasScope, verifyContext, type TenantContext } from '../../common/auth-context';
import type { Lane } from '../../common/fair-share';
import { isRedisUnavailable, REDIS_DOWN_RETRY_AFTER_SECONDS } from '../../common/redis';
import { BodyError, readTextBody } from '../../common/request-body';
import { AppError } from '../../common/errors';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { SEGMENT_ENDPOINTS, segmentBodyLimit, type SegmentEndpoint } from '../../common/segment-api';
import type { RawHttpHandler } from '../../common/serve-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { readSegmentBody } from '../domain/events/segment-body';
import { ingestGuardFor } from '../services/ingest-guard.service';
import { IngestService } from '../services/ingest.service';

/** The JSON answer of a refused request: Segment answers errors with a status and a reason. */
interface Refusal {
  success: false;
  code: string;
  message: string;
  errors?: { index: number; message: string }[];
}

/** `/v1/<endpoint>` (lower case) → endpoint. */
const PATHS = new Map<string, SegmentEndpoint>(SEGMENT_ENDPOINTS.map((endpoint) => [`/v1/${endpoint}`, endpoint]));

/**
 * The Segment tracking API (`POST /v1/batch`, `/v1/track`, …) on the signals service. Clients
 * reach it through the gateway, which authenticates the write key and forwards the request with
 * the signed tenant context; this handler refuses anything without it. Bodies are read as text
 * whatever their content type, because browsers post JSON as `text/plain`.
 *
 * A plain node:http handler rather than an express router: this is the ingest hot path, and
 * express's routing, body-parser and `res.json` (ETag hashing included) cost about a tenth of the
 * process's CPU per request. It takes only a POST to one of the endpoints and returns false for
 * anything else, which express then answers as before (404).
 */
export function segmentApiHandler(deps: SubgraphDeps): RawHttpHandler {
  return (req, res) => {
    const endpoint = req.method === 'POST' ? endpointOf(req.url) : undefined;
    if (!endpoint) return false;
    handle(endpoint, req, res, deps).catch((err: unknown) => {
      if (isRedisUnavailable(err) && !res.headersSent) {
        // a producer command refused or timed out while Redis is down: the SDKs retry a 503
        deps.log.warn({ err, path: `/v1/${endpoint}` }, 'redis unreachable during a segment api request');
        return refuse(res, 503, 'UNAVAILABLE', 'the queue (Redis) is unreachable: retry later', undefined, { 'retry-after': String(REDIS_DOWN_RETRY_AFTER_SECONDS) });
      }
      deps.log.error({ err, path: `/v1/${endpoint}`, requestId: req.headers['x-request-id'] }, 'segment api request failed');
      if (!res.headersSent) refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'internal server error');
      else res.destroy();
    });
    return true;
  };
}

/** The endpoint a URL names, matched as express matched it: any case, no query, one optional trailing slash. */
function endpointOf(url = ''): SegmentEndpoint | undefined {
  const query = url.indexOf('?');
  let path = query === -1 ? url : url.slice(0, query);
  if (path.endsWith('/')) path = path.slice(0, -1);
  return PATHS.get(path.toLowerCase());
}

async function handle(endpoint: SegmentEndpoint, req: IncomingMessage, res: ServerResponse, deps: SubgraphDeps): Promise<void> {
  // checked before the body is read: an unauthenticated client gets nothing buffered
  const auth = authenticate(req, res, deps.config);
  if (!auth) return;

  let text: string;
  try {
    text = await readTextBody(req, segmentBodyLimit(endpoint));
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    return refuseBody(endpoint, res, err);
  }
  await ingest(endpoint, text, auth, res, deps, laneOf(req));
}

/** The second lock: the gateway's signed context, with a scope that may write events. */
function authenticate(req: IncomingMessage, res: ServerResponse, config: SubgraphDeps['config']): TenantContext | null {
  const auth = verifyContext(req.headers[CONTEXT_HEADER], config.secret, 'signals', config.contextTtlSeconds);
  if (!auth) {
    refuse(res, 401, 'UNAUTHENTICATED', 'missing or invalid signed tenant context: call this service through the gateway');
    return null;
  }
  if (!hasScope(auth.scopes, 'events:write')) {
    refuse(res, 403, 'FORBIDDEN', 'this key lacks the events:write scope');
    return null;
  }
  return auth;
}

function refuseBody(endpoint: SegmentEndpoint, res: ServerResponse, err: BodyError): void {
  // the client is gone: there is no one to answer
  if (err.reason === 'aborted') return;
  if (err.reason === 'unreadable') return refuse(res, 400, 'BAD_REQUEST', err.message);
  const what = endpoint === 'batch' ? 'batch' : 'event';
  refuse(res, 400, `${what.toUpperCase()}_TOO_LARGE`, `the ${what} is over the limit of ${segmentBodyLimit(endpoint)} bytes`);
}

/** The header that marks a request's events as history (`npm run import` sends it). */
export const LANE_HEADER = 'x-foresight-lane';

/** `history` when the request says its events are an import of the past; live otherwise. */
function laneOf(req: IncomingMessage): Lane {
  const value = req.headers[LANE_HEADER];
  return typeof value === 'string' && value.trim().toLowerCase() === 'history' ? 'history' : 'live';
}

async function ingest(endpoint: SegmentEndpoint, text: string, auth: TenantContext, res: ServerResponse, deps: SubgraphDeps, lane: Lane): Promise<void> {
  const receivedAt = new Date();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return refuse(res, 400, 'INVALID_JSON', 'the body is not valid JSON');
  }
  const request = readSegmentBody(endpoint, body);
  if (typeof request === 'string') return refuse(res, 400, 'BAD_REQUEST', request);

  const service = new IngestService(forkForTenant(deps.orm, auth.tenantId), auth, deps, ingestGuardFor(deps));
  let outcome;
  try {
    outcome = await service.ingest(request.events, {
      receivedAt,
      sentAt: request.sentAt,
      impliedType: request.impliedType,
      bodyBytes: Buffer.byteLength(text),
      lane,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'RATE_LIMITED') {
      const retryAfter = String(err.details?.retryAfterSeconds ?? 1);
      return refuse(res, 429, 'RATE_LIMITED', err.message, undefined, { 'retry-after': retryAfter });
    }
    if (err instanceof AppError && err.code === 'UNAVAILABLE') {
      // 5xx: the Segment SDKs keep the batch and retry it
      return refuse(res, 503, 'UNAVAILABLE', err.message, undefined, { 'retry-after': String(err.details?.retryAfterSeconds ?? 5) });
    }
    throw err;
  }
  // nothing kept: a client error that a retry cannot fix, so the SDK must not retry it
  if (outcome.accepted + outcome.duplicates === 0 && outcome.errors.length > 0) {
    const message = endpoint === 'batch' ? 'no valid event in the batch' : outcome.errors[0].message;
    return refuse(res, 400, 'INVALID_EVENT', message, outcome.errors);
  }
  sendJson(res, 200, { success: true, ...outcome });
}

function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  errors?: Refusal['errors'],
  headers?: Record<string, string>,
): void {
  const body: Refusal = { success: false, code, message, ...(errors ? { errors } : {}) };
  sendJson(res, status, body, headers);
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json), ...headers })
    .end(json);
}
