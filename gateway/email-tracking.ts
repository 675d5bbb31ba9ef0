import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { LRUCache } from 'lru-cache';

import type { Logger } from '../subgraphs/common/logger';
import type { ProfileEventSender, ProfileTrackEvent } from '../subgraphs/common/profile-event-sender';
import { isHttpUrl, verifyTrackingToken, type TrackingClaims } from '../subgraphs/common/tracking-token';

/** Path prefix of the open pixel and tracked links on the gateway's public port. */
export const TRACKING_PATH_PREFIX = '/t/';

/** A transparent 1×1 GIF (42 bytes). */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const PIXEL_HEADERS = { 'content-type': 'image/gif', 'content-length': PIXEL.length, 'cache-control': 'no-store, no-cache, must-revalidate, max-age=0', pragma: 'no-cache' };

export interface EmailTrackingOptions {
  secret: string;
  /**
   * Counts the request against its client address's budget (see `AddressThrottle`): seconds to
   * wait when over it, else null. Absent: no limit.
   */
  throttle?: (req: IncomingMessage) => Promise<number | null>;
  /** Records the `Email Opened` / `Email Link Clicked` event; null when the stages are not configured. */
  sender: Pick<ProfileEventSender, 'send'> | null;
  log: Logger;
  now?: () => Date;
}

/**
 * `GET /t/o/:token` (open pixel) and `GET /t/c/:token` (tracked link) of playbook emails. The
 * pixel is always a 200 GIF, whatever the token, so mail clients never retry or show a broken
 * image; a click redirects (302) to the URL signed into its token, and a token that does not
 * verify is a 400 with a plain message, never a redirect (no open redirect). Only a valid,
 * unexpired token records an event, after the answer has gone out: `Email Opened` or
 * `Email Link Clicked` for the token's profile, through the signals Segment API.
 *
 * The event's messageId is derived from the token's send (its outbox row) and kind, and for a
 * click its URL: the first open of an email is recorded and later opens are duplicates; each
 * link of an email records its first click.
 *
 * Over the client address's budget (`throttle`) a request is 429 with `Retry-After`, checks no
 * token and records nothing: the pixel still carries the GIF as its body (browsers draw an image
 * whatever the status, so the reader sees no broken image), a click has no `Location` (a throttled
 * click is never a redirect, let alone an unchecked one).
 */
export function createEmailTracking(opts: EmailTrackingOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const now = opts.now ?? (() => new Date());
  // messageIds this instance recorded lately: a mail client reloading the pixel costs no lookup
  const recorded = new LRUCache<string, true>({ max: 10_000 });
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://gateway').pathname;
    const kind = path.startsWith('/t/o/') ? 'o' : path.startsWith('/t/c/') ? 'c' : null;
    if (!kind) return plain(res, 404, 'not found');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'use GET', { allow: 'GET, HEAD' });
    const retryAfter = opts.throttle ? await opts.throttle(req) : null;
    if (retryAfter !== null) {
      const headers = { 'retry-after': String(retryAfter) };
      if (kind === 'c') return plain(res, 429, `too many requests from this address: retry in ${retryAfter} s`, headers);
      res.writeHead(429, { ...PIXEL_HEADERS, ...headers });
      return void res.end(req.method === 'HEAD' ? undefined : PIXEL);
    }
    const at = now();
    const verified = verifyTrackingToken(path.slice(5), opts.secret, at.getTime());
    const claims = verified && verified.claims.kind === kind ? verified.claims : null;

    if (kind === 'o') {
      res.writeHead(200, PIXEL_HEADERS);
      res.end(req.method === 'HEAD' ? undefined : PIXEL);
    } else {
      // checked again here: the redirect target is only ever a signed http(s) URL
      if (!claims?.url || !isHttpUrl(claims.url)) return plain(res, 400, 'this tracking link is invalid or has been altered');
      res.writeHead(302, { location: claims.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
    }
    // a HEAD is a link checker or a prefetch, not the reader
    if (!claims || verified!.expired || req.method === 'HEAD') return;
    const event = trackedEvent(claims, at);
    const seen = `${claims.tenantId}\u0000${event.messageId}`;
    if (!opts.sender || recorded.has(seen)) return;
    opts.sender
      .send(claims.tenantId, claims.profileId, [event])
      .then((outcome) => {
        if (outcome === 'stored') recorded.set(seen, true);
        else opts.log.warn({ tenantId: claims.tenantId, profileId: claims.profileId }, 'email tracking hit for an unknown profile');
      })
      .catch((err: unknown) => opts.log.error({ err, tenantId: claims.tenantId, deliveryId: claims.deliveryId }, 'email tracking event not recorded'));
  };
}

/** The event a verified hit records; its messageId makes repeated hits duplicates (see above). */
export function trackedEvent(claims: TrackingClaims, at: Date): ProfileTrackEvent {
  const properties = { channel: 'email', runId: claims.runId, stepId: claims.stepId, deliveryId: claims.deliveryId, ...(claims.url ? { url: claims.url } : {}) };
  if (claims.kind === 'o') return { event: 'Email Opened', messageId: `email-opened-${claims.deliveryId}`, properties, timestamp: at };
  const link = createHash('sha256').update(claims.url ?? '').digest('hex').slice(0, 32);
  return { event: 'Email Link Clicked', messageId: `email-link-clicked-${claims.deliveryId}-${link}`, properties, timestamp: at };
}

function plain(res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra }).end(`${message}\n`);
}
