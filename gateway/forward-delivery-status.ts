import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Logger } from '../subgraphs/common/logger';

/** Path prefix of the providers' delivery-status callbacks (`/v1/channels/:channelId/delivery-status`). */
export const CHANNEL_CALLBACK_PATH_PREFIX = '/v1/channels/';

/** Largest callback body relayed, in bytes (the actions service reads no more either). */
const BODY_LIMIT = 64 * 1024;
/** How long the actions service may take to answer, in ms: past it the provider gets 503 and retries. */
const TIMEOUT_MS = 10_000;

/** The headers a callback's signature covers or needs; nothing else is relayed. */
const RELAYED = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-twilio-signature'] as const;

export interface DeliveryStatusForwarderOptions {
  /** Base URL of the actions service (`http://host:port`), or null when it is not configured. */
  actionsBaseUrl: string | null;
  log: Logger;
  /**
   * Counts the request against its client address's budget (see `AddressThrottle`): seconds to
   * wait when it is over, else null. Checked before the body is read or anything is relayed.
   */
  throttle?: (req: IncomingMessage) => Promise<number | null>;
}

/**
 * Relays `POST /v1/channels/:channelId/delivery-status` from the gateway's public port to the
 * actions service, which checks the channel's signature and answers; its status and body come back
 * unchanged. No API key: a provider cannot send one, and the channel secret authenticates the
 * call. The raw body is relayed byte for byte (the signature covers it); over 64 KB is a 413.
 * An address over its budget (`throttle`) gets 429 `RATE_LIMITED` with `Retry-After`, and nothing
 * reaches actions: a flood of forged reports costs no signature check or channel look-up there.
 */
export function createDeliveryStatusForwarder(opts: DeliveryStatusForwarderOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (!/^\/v1\/channels\/[^/]+\/delivery-status\/?$/i.test(path)) return reply(res, 404, 'NOT_FOUND', `no such endpoint: ${path}`);
    if (req.method !== 'POST') return reply(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', { allow: 'POST' });
    const retryAfter = opts.throttle ? await opts.throttle(req) : null;
    if (retryAfter !== null) {
      // the body is never read: close the connection rather than drain it
      return reply(res.setHeader('connection', 'close'), 429, 'RATE_LIMITED', `too many requests from this address: retry in ${retryAfter} s`, { 'retry-after': String(retryAfter) });
    }
    if (!opts.actionsBaseUrl) return reply(res, 503, 'UNAVAILABLE', 'the actions service is not configured');
    if (Number(req.headers['content-length']) > BODY_LIMIT) return reply(res, 413, 'BODY_TOO_LARGE', `the body is over the limit of ${BODY_LIMIT} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > BODY_LIMIT) return reply(res.setHeader('connection', 'close'), 413, 'BODY_TOO_LARGE', `the body is over the limit of ${BODY_LIMIT} bytes`);
      chunks.push(chunk);
    }
    const headers: Record<string, string> = {};
    for (const name of RELAYED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    let answer: Response;
    try {
      answer = await fetch(`${opts.actionsBaseUrl}${path}`, { method: 'POST', headers, body: Buffer.concat(chunks), signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      opts.log.warn({ err }, 'delivery callback not relayed: actions unreachable');
      return reply(res, 503, 'UNAVAILABLE', 'the actions service is unreachable: retry later', { 'retry-after': '5' });
    }
    const body = await answer.text();
    const relayed: Record<string, string> = { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store' };
    const relayedRetryAfter = answer.headers.get('retry-after');
    if (relayedRetryAfter) relayed['retry-after'] = relayedRetryAfter;
    res.writeHead(answer.status, relayed).end(body);
  };
}

function reply(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra }).end(JSON.stringify({ accepted: false, code, message }));
}
