import express, { type NextFunction, type Request, type Response, type Router } from 'express';

import { CONTEXT_HEADER, hasScope, verifyContext, type TenantContext } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { SEGMENT_ENDPOINTS, segmentBodyLimit, type SegmentEndpoint } from '../../common/segment-api';
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

/**
 * The Segment tracking API (`POST /v1/batch`, `/v1/track`, …) on the signals service. Clients
 * reach it through the gateway, which authenticates the write key and forwards the request with
 * the signed tenant context; this router refuses anything without it. Bodies are read as text
 * whatever their content type, because browsers post JSON as `text/plain`.
 */
export function segmentApiRouter(deps: SubgraphDeps): Router {
  const router = express.Router();
  for (const endpoint of SEGMENT_ENDPOINTS) {
    router.post(
      `/${endpoint}`,
      (req, res, next) => authenticate(req, res, next, deps.config.secret),
      express.text({ type: () => true, limit: segmentBodyLimit(endpoint), defaultCharset: 'utf-8' }),
      (req, res, next) => void ingest(endpoint, req, res, deps).catch(next),
    );
  }
  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const endpoint = req.path.slice(1) as SegmentEndpoint;
    const { type, status } = (err ?? {}) as { type?: string; status?: number };
    if (type === 'entity.too.large') {
      const limit = segmentBodyLimit(endpoint);
      const code = endpoint === 'batch' ? 'BATCH_TOO_LARGE' : 'EVENT_TOO_LARGE';
      return refuse(res, 400, code, `the ${endpoint === 'batch' ? 'batch' : 'event'} is over the limit of ${limit} bytes`);
    }
    if (typeof status === 'number' && status >= 400 && status < 500) return refuse(res, 400, 'BAD_REQUEST', (err as Error).message);
    deps.log.error({ err, path: req.path, requestId: req.header('x-request-id') }, 'segment api request failed');
    return refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'internal server error');
  });
  return router;
}

/** The second lock: the gateway's signed context, with a scope that may write events. */
function authenticate(req: Request, res: Response, next: NextFunction, secret: string): void {
  const auth = verifyContext(req.header(CONTEXT_HEADER), secret);
  if (!auth) return refuse(res, 401, 'UNAUTHENTICATED', 'missing or invalid signed tenant context: call this service through the gateway');
  if (!hasScope(auth.scopes, 'events:write')) return refuse(res, 403, 'FORBIDDEN', 'this key lacks the events:write scope');
  res.locals.auth = auth;
  next();
}

async function ingest(endpoint: SegmentEndpoint, req: Request, res: Response, deps: SubgraphDeps): Promise<void> {
  const receivedAt = new Date();
  let body: unknown;
  try {
    body = JSON.parse(typeof req.body === 'string' ? req.body : '');
  } catch {
    return refuse(res, 400, 'INVALID_JSON', 'the body is not valid JSON');
  }
  const request = readSegmentBody(endpoint, body);
  if (typeof request === 'string') return refuse(res, 400, 'BAD_REQUEST', request);

  const auth = res.locals.auth as TenantContext;
  const service = new IngestService(deps.orm.em.fork(), auth, deps, ingestGuardFor(deps));
  let outcome;
  try {
    outcome = await service.ingest(request.events, { receivedAt, sentAt: request.sentAt, impliedType: request.impliedType });
  } catch (err) {
    if (err instanceof AppError && err.code === 'RATE_LIMITED') {
      res.setHeader('retry-after', String(err.details?.retryAfterSeconds ?? 1));
      return refuse(res, 429, 'RATE_LIMITED', err.message);
    }
    throw err;
  }
  // nothing kept: a client error that a retry cannot fix, so the SDK must not retry it
  if (outcome.accepted + outcome.duplicates === 0 && outcome.errors.length > 0) {
    const message = endpoint === 'batch' ? 'no valid event in the batch' : outcome.errors[0].message;
    return refuse(res, 400, 'INVALID_EVENT', message, outcome.errors);
  }
  res.status(200).json({ success: true, ...outcome });
}

function refuse(res: Response, status: number, code: string, message: string, errors?: Refusal['errors']): void {
  const body: Refusal = { success: false, code, message, ...(errors ? { errors } : {}) };
  res.status(status).json(body);
}
