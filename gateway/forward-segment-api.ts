import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { BlockList } from 'node:net';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';

import { CONTEXT_HEADER, hasScope, type TenantContext } from '../subgraphs/common/auth-context';
import type { Logger } from '../subgraphs/common/logger';
import { isSegmentEndpoint, segmentBodyLimit } from '../subgraphs/common/segment-api';
import { throttledAnswer, type AuthThrottle } from './auth-throttle';
import { requestClientAddress } from './client-address';
import type { KeyStore } from './keys/key-store';
import { bearerKey } from './plugins/use-api-key-auth';

export interface SegmentForwarderOptions {
  keys: KeyStore;
  /** Signs the caller's context for the signals service (see signed-context.ts). */
  sign: (ctx: TenantContext, audience: string) => string;
  /** Failed authentications per client address. */
  throttle: AuthThrottle;
  /** Peers whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`, see client-address.ts). */
  trustedProxies: BlockList;
  /** Base URL of the signals service (its `/graphql` URL without the path); null when absent. */
  signalsBaseUrl: string | null;
  log: Logger;
}

/** Path prefix of the Segment tracking API on the gateway's public port. */
export const SEGMENT_PATH_PREFIX = '/v1/';

/** Browsers may call the API from any origin (analytics.js), with Basic auth or a body writeKey. */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type, content-encoding, x-foresight-lane',
  'access-control-max-age': '86400',
};

/**
 * The Segment tracking API on the gateway: authenticates the write key exactly as Segment does
 * (`Authorization: Basic base64("<writeKey>:")`, or `writeKey` in the JSON body; a Bearer key is
 * accepted too), requires `events:write`, enforces the body limits, and forwards the request to
 * the signals service with the signed tenant context. The signals service validates, stores and
 * answers (including 429 with `Retry-After`); its answer is relayed unchanged.
 */
export function createSegmentForwarder(opts: SegmentForwarderOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const endpoint = new URL(req.url ?? '/', 'http://gateway').pathname.slice(SEGMENT_PATH_PREFIX.length);
    if (req.method === 'OPTIONS') return void res.writeHead(204, CORS_HEADERS).end();
    if (!isSegmentEndpoint(endpoint)) return refuse(res, 404, 'NOT_FOUND', `no such endpoint: /v1/${endpoint}`);
    if (req.method !== 'POST') return refuse(res, 405, 'METHOD_NOT_ALLOWED', 'use POST', { allow: 'POST, OPTIONS' });
    // an address that keeps failing is refused before its body is read
    const address = requestClientAddress(req, opts.trustedProxies);
    const wait = await opts.throttle.blockedFor(address);
    if (wait !== null) {
      const { message, headers } = throttledAnswer(wait);
      return refuse(res, 429, 'RATE_LIMITED', message, headers);
    }

    const limit = segmentBodyLimit(endpoint);
    const what = endpoint === 'batch' ? 'batch' : 'event';
    const tooLarge = () => refuse(res, 400, `${what.toUpperCase()}_TOO_LARGE`, `the ${what} is over the limit of ${limit} bytes`, { connection: 'close' });
    const raw = await readBody(req, limit);
    if (!raw) return tooLarge();
    // SDKs may compress their batches; the limit holds for the decompressed body too
    const body = decodeBody(raw, req.headers['content-encoding'], limit);
    if (body === 'too-large') return tooLarge();
    if (body === 'unsupported') return refuse(res, 415, 'UNSUPPORTED_ENCODING', 'Content-Encoding must be gzip, deflate, br or identity');
    if (body === 'corrupt') return refuse(res, 400, 'INVALID_ENCODING', `the body is not valid ${String(req.headers['content-encoding']).trim()} data`);

    let key = writeKeyFromHeader(req.headers.authorization);
    if (key === undefined) {
      // no Authorization header: Segment also takes the write key from the body
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        return refuse(res, 400, 'INVALID_JSON', 'the body is not valid JSON');
      }
      const writeKey = (parsed as { writeKey?: unknown } | null)?.writeKey;
      key = typeof writeKey === 'string' ? writeKey : null;
    }
    const principal = key ? await opts.keys.resolve(key) : null;
    if (!principal) {
      await opts.throttle.failed(address);
      const message = key ? 'invalid or revoked write key' : 'missing write key: send Authorization: Basic base64("<writeKey>:")';
      return refuse(res, 401, 'UNAUTHENTICATED', message, { 'www-authenticate': 'Basic realm="foresight"' });
    }
    if (!hasScope(principal.scopes, 'events:write')) return refuse(res, 403, 'FORBIDDEN', 'this key lacks the events:write scope');
    if (!opts.signalsBaseUrl) return refuse(res, 503, 'UNAVAILABLE', 'the signals service is not configured');

    const requestId = (typeof req.headers['x-request-id'] === 'string' && req.headers['x-request-id']) || randomUUID();
    let upstream: UpstreamAnswer;
    try {
      upstream = await post(`${opts.signalsBaseUrl}${SEGMENT_PATH_PREFIX}${endpoint}`, body, {
        'content-type': 'application/json; charset=utf-8',
        [CONTEXT_HEADER]: opts.sign(principal, 'signals'),
        'x-request-id': requestId,
        // an import marks its events as history: every stage serves them after live traffic
        ...(typeof req.headers['x-foresight-lane'] === 'string' && { 'x-foresight-lane': req.headers['x-foresight-lane'] }),
      });
    } catch (err) {
      opts.log.error({ err, requestId }, 'signals service unreachable for /v1');
      // 5xx: the Segment SDKs retry it
      return refuse(res, 503, 'UNAVAILABLE', 'the signals service is unreachable: retry later', { 'retry-after': '5' });
    }
    const headers: Record<string, string> = { ...CORS_HEADERS, 'content-type': upstream.contentType ?? 'application/json' };
    if (upstream.retryAfter) headers['retry-after'] = upstream.retryAfter;
    res.writeHead(upstream.status, headers).end(upstream.body);
  };
}

/**
 * Keep-alive connections to the signals service. A plain node:http request costs less CPU per
 * forwarded batch than `fetch` (undici + web streams), and this hop is on the ingest hot path.
 */
const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 256 });

interface UpstreamAnswer {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  body: Buffer;
}

/**
 * Posts to signals, once more when a reused keep-alive connection turned out closed (the request
 * never reached signals, or did and its events are deduplicated by messageId: a retry is safe).
 */
async function post(url: string, body: Buffer, headers: Record<string, string>): Promise<UpstreamAnswer> {
  try {
    return await postOnce(url, body, headers);
  } catch (err) {
    if (!isStaleConnection(err)) throw err;
    return postOnce(url, body, headers);
  }
}

function isStaleConnection(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || (err as Error | undefined)?.message === 'socket hang up';
}

function postOnce(url: string, body: Buffer, headers: Record<string, string>): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: upstreamAgent, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 502,
          contentType: res.headers['content-type'],
          retryAfter: typeof res.headers['retry-after'] === 'string' ? res.headers['retry-after'] : undefined,
          body: Buffer.concat(chunks),
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The write key of an `Authorization` header: the user of Basic credentials (Segment sends
 * `base64("<writeKey>:")`) or a Bearer key. `undefined` without a header, `null` for an unusable one.
 */
export function writeKeyFromHeader(header: string | undefined): string | null | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const basic = /^Basic\s+(\S+)$/i.exec(header.trim());
  if (!basic) return bearerKey({ authorization: header });
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  return user || null;
}

/**
 * The request body, or null once it passes `limit` bytes: the answer then goes out at once and
 * the rest of the body is discarded by node:http, never buffered.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const DECODERS: Record<string, (data: Buffer, options: { maxOutputLength: number }) => Buffer> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
};

/**
 * The body as JSON bytes: decompressed per `Content-Encoding` (one coding; `identity` or none
 * leaves it as is), never past `limit` bytes, so a small compressed bomb cannot expand in memory.
 */
export function decodeBody(raw: Buffer, encoding: string | undefined, limit: number): Buffer | 'too-large' | 'unsupported' | 'corrupt' {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return raw;
  const decode = Object.hasOwn(DECODERS, coding) ? DECODERS[coding] : null;
  if (!decode) return 'unsupported';
  try {
    return decode(raw, { maxOutputLength: limit });
  } catch (err) {
    // zlib refuses to grow the output past maxOutputLength (by code: the error may come from another realm)
    return (err as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE' ? 'too-large' : 'corrupt';
  }
}

function refuse(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res
    .writeHead(status, { ...CORS_HEADERS, 'content-type': 'application/json', ...extra })
    .end(JSON.stringify({ success: false, code, message }));
}
