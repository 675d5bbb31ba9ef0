import type { Config } from '../../../common/config';
import { signTrackingToken, type TrackingClaims } from '../../../common/tracking-token';
import type { OutboundMessage } from '../../domain/channel';
import { addEmailTracking } from '../../domain/tracked-html';
import { addTextLinkTracking } from '../../domain/tracked-text';

/** Path prefixes of the gateway's tracking routes (served by gateway/email-tracking.ts). */
export const OPEN_PATH = '/t/o/';
export const CLICK_PATH = '/t/c/';

/** The two parts of an email as they go out. */
export interface TrackedParts {
  html: string | undefined;
  text: string | undefined;
}

/**
 * Adds open and click tracking to a playbook email: in the HTML part a pixel at
 * `{PUBLIC_URL}/t/o/{token}` and each http(s) link through `{PUBLIC_URL}/t/c/{token}`; in the
 * plain-text part each http(s) URL through the same click route (a text part has no pixel). Each
 * token is signed for the message's tenant (see `signTrackingToken`) and names its profile, run,
 * step and outbox row; a link's token signs its target, so the same link tracks the same in both
 * parts. A message not from a playbook send goes out unchanged; so does a part it lacks.
 */
export function emailTracker(config: Pick<Config, 'secret' | 'publicUrl' | 'channels'>, now: () => Date): (message: OutboundMessage) => TrackedParts {
  return (message) => {
    if (!message.origin) return { html: message.html, text: message.body };
    const base: Omit<TrackingClaims, 'kind'> = {
      tenantId: message.tenantId,
      profileId: message.profileId,
      ...message.origin,
      exp: Math.floor(now().getTime() / 1000) + config.channels.trackingTokenTtlSeconds,
    };
    const linkUrl = (url: string) => `${config.publicUrl}${CLICK_PATH}${signTrackingToken({ ...base, kind: 'c', url }, config.secret)}`;
    return {
      html: message.html ? addEmailTracking(message.html, { pixelUrl: `${config.publicUrl}${OPEN_PATH}${signTrackingToken({ ...base, kind: 'o' }, config.secret)}`, linkUrl }) : message.html,
      text: message.body ? addTextLinkTracking(message.body, linkUrl) : message.body,
    };
  };
}
