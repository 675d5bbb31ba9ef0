import { CONTEXT_HEADER, signContext } from './auth-context';

/** One `track` event about a known profile, from a stage of the platform itself. */
export interface ProfileTrackEvent {
  /** The event name (`Email Opened`, `Message Sent`, …). */
  event: string;
  /** The event's idempotency key: the same id again is stored once (signals deduplicates on it). */
  messageId: string;
  properties: Record<string, unknown>;
  timestamp: Date;
}

/** An identity of a profile as the profiles subgraph lists it. */
export interface ProfileIdentity {
  type: 'USER_ID' | 'EMAIL' | 'ANONYMOUS_ID' | 'PHONE' | 'EXTERNAL';
  value: string;
}

/** The identifying fields of a Segment event that resolves to the profile holding `identities`. */
export type EventIdentity = { userId: string } | { anonymousId: string; context?: Record<string, unknown> };

/**
 * How an event names a profile the platform knows by id: its `userId`, else its anonymous id;
 * a profile known only by email, phone or an external id is claimed through that identity
 * (`context.traits` / `context.externalIds`) together with the stable anonymous id
 * `foresight-profile-<id>`, which the profile gains on the first such event (a track event
 * needs a user or anonymous id). Null when the profile has no identity at all.
 */
export function eventIdentityOf(identities: readonly ProfileIdentity[], profileId: string): EventIdentity | null {
  const first = (type: ProfileIdentity['type']) => identities.find((i) => i.type === type)?.value;
  const userId = first('USER_ID');
  if (userId) return { userId };
  const anonymousId = first('ANONYMOUS_ID');
  if (anonymousId) return { anonymousId };
  const synthetic = `foresight-profile-${profileId}`;
  const email = first('EMAIL');
  if (email) return { anonymousId: synthetic, context: { traits: { email } } };
  const phone = first('PHONE');
  if (phone) return { anonymousId: synthetic, context: { traits: { phone } } };
  const external = first('EXTERNAL');
  const colon = external?.indexOf(':') ?? -1;
  if (external && colon > 0) return { anonymousId: synthetic, context: { externalIds: [{ type: external.slice(0, colon), id: external.slice(colon + 1) }] } };
  return null;
}

export interface ProfileEventSenderOptions {
  /** The platform secret: signs the tenant context of both calls. */
  secret: string;
  contextTtlSeconds: number;
  /** The profiles subgraph's `/graphql` URL (where the profile's identities are read). */
  profilesUrl: string;
  /** The signals service's base URL (its `/graphql` URL without the path): events go to its `/v1/batch`. */
  signalsBaseUrl: string;
  /** Who writes, as the signals stage's rate limits and logs see it (the key id of the signed context). */
  writer: string;
  /** Longest wait for each call, ms. Default 10000. */
  timeoutMs?: number;
}

/** The answer of `send`: stored (or already stored: a duplicate), or the profile is not known to the tenant. */
export type SendOutcome = 'stored' | 'unknown-profile';

/**
 * Sends track events about a profile into its tenant's event stream through the Segment API of
 * the signals service (`/v1/batch`), the path every client event takes: validated, deduplicated on
 * `messageId`, resolved to the profile, detected, handed to risk and to waiting playbook runs.
 * Events name customers by identity, not by profile id, so the profile's identities are read from
 * the profiles subgraph first. Both calls carry a tenant context signed for that subgraph, as the
 * gateway's do. Throws when either service is unreachable or refuses the events.
 */
export class ProfileEventSender {
  constructor(private readonly opts: ProfileEventSenderOptions) {}

  async send(tenantId: string, profileId: string, events: readonly ProfileTrackEvent[]): Promise<SendOutcome> {
    const identities = await this.identitiesOf(tenantId, profileId);
    const identity = identities && eventIdentityOf(identities, profileId);
    if (!identity) return 'unknown-profile';
    const batch = events.map((e) => ({
      type: 'track',
      event: e.event,
      messageId: e.messageId,
      properties: e.properties,
      timestamp: e.timestamp.toISOString(),
      ...identity,
    }));
    const res = await this.post(`${this.opts.signalsBaseUrl}/v1/batch`, tenantId, 'signals', ['events:write'], { batch });
    if (res.status !== 200) throw new Error(`signals refused ${events.length} event(s) of profile ${profileId}: ${res.status} ${(await res.text()).slice(0, 300)}`);
    return 'stored';
  }

  /** The profile's identities (a merged profile's id reads the profile it was merged into), or null. */
  private async identitiesOf(tenantId: string, profileId: string): Promise<ProfileIdentity[] | null> {
    const query = 'query($id: ID!) { profile(id: $id) { id identities { type value } } }';
    const res = await this.post(this.opts.profilesUrl, tenantId, 'profiles', ['profiles:read'], { query, variables: { id: profileId } });
    const body = (await res.json().catch(() => null)) as { data?: { profile: { identities: ProfileIdentity[] } | null }; errors?: { message: string }[] } | null;
    if (res.status !== 200 || !body?.data) throw new Error(`profiles lookup failed: ${res.status} ${body?.errors?.[0]?.message ?? ''}`);
    return body.data.profile?.identities ?? null;
  }

  private post(url: string, tenantId: string, audience: string, scopes: string[], body: unknown): Promise<Response> {
    // a key id per tenant: one tenant's flood of opens uses up its own ingest budget, not others'
    const context = signContext({ tenantId, keyId: `${this.opts.writer}-${tenantId}`, scopes }, this.opts.secret, audience, this.opts.contextTtlSeconds);
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [CONTEXT_HEADER]: context },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
    });
  }
}
