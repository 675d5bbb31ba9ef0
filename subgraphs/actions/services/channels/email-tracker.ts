import type { Config } from '../../../common/config';
import { signTrackingToken, type TrackingClaims } from '../../../common/tracking-token';
import type { OutboundMessage } from '../../domain/channel';
import { addEmailTracking } from '../../domain/tracked-html';

/** Path prefixes of the gateway's tracking routes (served by gateway/email-tracking.ts). */
export const OPEN_PATH = '/t/o/';
export const CLICK_PATH = '/t/c/';

/**
 * Adds open and click tracking to a playbook email's HTML part: a pixel at
 * `{PUBLIC_URL}/t/o/{token}` and each http(s) link through `{PUBLIC_URL}/t/c/{token}`, each token
 * signed for the message's tenant (see `signTrackingToken`) and naming its profile, run, step and
 * outbox row. A message without HTML, or not from a playbook send, goes out unchanged.
 */
export function emailTracker(config: Pick<Config, 'secret' | 'publicUrl' | 'channels'>, now: () => Date): (message: OutboundMessage) => string | undefined {
  return (message) => {
    if (!message.html || !message.origin) return message.html;
    const base: Omit<TrackingClaims, 'kind'> = {
      tenantId: message.tenantId,
      profileId: message.profileId,
      ...message.origin,
      exp: Math.floor(now().getTime() / 1000) + config.channels.trackingTokenTtlSeconds,
    };
    return addEmailTracking(message.html, {
      pixelUrl: `${config.publicUrl}${OPEN_PATH}${signTrackingToken({ ...base, kind: 'o' }, config.secret)}`,
      linkUrl: (url) => `${config.publicUrl}${CLICK_PATH}${signTrackingToken({ ...base, kind: 'c', url }, config.secret)}`,
    });
  };
}
