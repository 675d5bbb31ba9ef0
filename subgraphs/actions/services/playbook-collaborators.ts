import type { Orm } from '../../common/orm';
import type { Config } from '../../common/config';
import type { ChannelResolver } from '../domain/channel';
import type { ProfileTraitsReader } from '../domain/profile-traits';
import { StoredChannelResolver } from './channels/channel-resolver';

/** What the step runner talks to outside this subgraph's tables. */
export interface PlaybookCollaborators {
  /** The tenant's channels (email, SMS, push, webhook). */
  channels: ChannelResolver;
  /** The profile's current traits (consent, time zone, template values). */
  traits: ProfileTraitsReader;
  /** The clock: tests move it instead of sleeping. */
  now: () => Date;
  /** Provider calls of one send before it is dead-lettered (retryable failures only). Default 5. */
  maxSendAttempts: number;
}

/**
 * PLACEHOLDER until profiles hands traits to actions (issue #12): knows no traits, so a run uses
 * the traits it was enrolled with.
 */
export function createProfileTraitsReader(): ProfileTraitsReader {
  return { traitsOf: () => Promise.resolve(null) };
}

/**
 * The production collaborators: the tenant's configured channels (`channel` table, secrets
 * decrypted per send), the placeholder traits reader above, the wall clock.
 */
export function defaultPlaybookCollaborators(deps: { orm: Orm; config: Pick<Config, 'secret' | 'channels' | 'publicUrl'> }): PlaybookCollaborators {
  return { channels: new StoredChannelResolver(deps.orm, deps.config), traits: createProfileTraitsReader(), now: () => new Date(), maxSendAttempts: 5 };
}
