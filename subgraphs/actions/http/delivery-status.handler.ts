import type { IncomingMessage, ServerResponse } from 'node:http';

import { isRedisUnavailable, REDIS_DOWN_RETRY_AFTER_SECONDS } from '../../common/redis';
import { BodyError, readTextBody } from '../../common/request-body';
import type { SubgraphDeps } from '../../common/run-subgraph';
import type { RawHttpHandler } from '../../common/serve-subgraph';
import type { SecretBox } from '../services/channels/secret-box';
import { DeliveryCallbackService, type CallbackAnswer } from '../services/delivery-callback.service';

/** Largest callback body read, in bytes: a report is a few hundred. */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

/**
 * `/v1/channels/<channel id>/delivery-status`, any case, one optional trailing slash, a query
 * ignored. The id is taken as sent, not decoded: a channel id is a UUID, which needs no escaping,
 * and a malformed escape (`%zz`) is a 404 like any other unknown id, never a decoding error.
 */
const PATH = /^\/v1\/channels\/([^/?]+)\/delivery-status\/?(?:\?.*)?$/i;

/**
 * `POST /v1/channels/:channelId/delivery-status` on the actions service: a provider's report that
 * a message was delivered, bounced or complained about (see `DeliveryCallbackService`). The
 * gateway forwards it from its public port; the channel's secret, not an API key, authenticates
 * it. Anything else goes on to express (404).
 */
export function deliveryStatusHandler(deps: SubgraphDeps, box: SecretBox, now?: () => Date): RawHttpHandler {
  const service = new DeliveryCallbackService(deps, box, now);
  return (req, res) => {
    const match = req.method === 'POST' ? PATH.exec(req.url ?? '') : null;
    if (!match) return false;
    handle(match[1], req, res, service).catch((err: unknown) => {
      if (isRedisUnavailable(err) && !res.headersSent) {
        // the job could not be queued: a 503 makes the provider send the report again
        deps.log.warn({ err }, 'redis unreachable during a delivery callback');
        return answer(res, { status: 503, body: { accepted: false, code: 'UNAVAILABLE', message: 'the queue (Redis) is unreachable: retry later' } }, { 'retry-after': String(REDIS_DOWN_RETRY_AFTER_SECONDS) });
      }
      deps.log.error({ err, path: req.url }, 'delivery callback failed');
      if (!res.headersSent) answer(res, { status: 500, body: { accepted: false, code: 'INTERNAL_SERVER_ERROR', message: 'internal server error' } });
      else res.destroy();
    });
    return true;
  };
}

async function handle(channelId: string, req: IncomingMessage, res: ServerResponse, service: DeliveryCallbackService): Promise<void> {
  let body: string;
  try {
    body = await readTextBody(req, CALLBACK_BODY_LIMIT);
  } catch (err) {
    if (!(err instanceof BodyError)) throw err;
    if (err.reason === 'aborted') return;
    const tooLarge = err.reason === 'too-large';
    return answer(res, { status: tooLarge ? 413 : 400, body: { accepted: false, code: tooLarge ? 'BODY_TOO_LARGE' : 'BAD_REQUEST', message: err.message } });
  }
  const headers = {
    'webhook-id': req.headers['webhook-id'],
    'webhook-timestamp': req.headers['webhook-timestamp'],
    'webhook-signature': req.headers['webhook-signature'],
    'x-twilio-signature': req.headers['x-twilio-signature'],
  };
  answer(res, await service.receive(channelId, headers, body));
}

function answer(res: ServerResponse, { status, body }: CallbackAnswer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra }).end(JSON.stringify(body));
}
