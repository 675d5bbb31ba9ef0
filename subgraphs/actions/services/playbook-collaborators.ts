import type { ChannelResolver } from '../domain/channel';
import type { ProfileTraitsReader } from '../domain/profile-traits';

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
 * PLACEHOLDER until the channels land (issue #12, `services/channels/`): resolves no channel, so
 * every send is dead-lettered with `channel <name> is not configured`. At the merge, replace it
 * with the real resolver of the tenant's channel configuration.
 */
export function createChannelResolver(): ChannelResolver {
  return { resolve: () => Promise.resolve(null) };
}

/**
 * PLACEHOLDER until profiles hands traits to actions (issue #12): knows no traits, so a run uses
 * the traits it was enrolled with.
 */
export function createProfileTraitsReader(): ProfileTraitsReader {
  return { traitsOf: () => Promise.resolve(null) };
}

/** The production collaborators (see the placeholders above). */
export function defaultPlaybookCollaborators(): PlaybookCollaborators {
  return { channels: createChannelResolver(), traits: createProfileTraitsReader(), now: () => new Date(), maxSendAttempts: 5 };
}
