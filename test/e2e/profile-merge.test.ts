import { Alert } from '../../subgraphs/actions/entities/alert.entity';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { createRiskService } from '../../subgraphs/risk';
import { PRIOR_MODEL_REF as PRIOR } from '../../subgraphs/risk/domain/churn/prior';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { JourneyInstance } from '../../subgraphs/signals/entities/journey-instance.entity';
import { Signal } from '../../subgraphs/signals/entities/signal.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const MINUTE = 60_000;
const TENANT = 'merge-shop';

const PROFILE_HISTORY = /* GraphQL */ `
  query ($id: ID!) {
    profile(id: $id) {
      id
      signals(first: 50) { id type }
      journeys { id }
      alerts { id }
    }
  }
`;

interface History {
  signals: string[];
  journeys: string[];
  alerts: string[];
}

/**
 * An anonymous visitor retries an ID upload (a signal, a journey, an alert), then an `identify`
 * links them to a known customer with a history of their own: the merge reaches signals and
 * actions, and the survivor's profile shows both histories through the gateway.
 */
describe('a profile merge reaches every subgraph (through the gateway)', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(TENANT, ['admin']);
    writer = await stack.key(TENANT, ['events:write']);
    reader = await stack.key(TENANT, ['profiles:read']);
  });
  afterAll(() => stack?.stop());

  const post = async (batch: unknown[]) => {
    const res = await fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writer}:`).toString('base64')}` },
      body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: batch.length, errors: [] });
  };
  const signalsDb = () => forkAcrossTenants(stack.subgraphs.signals.deps.orm);
  const allProcessed = async () => (await signalsDb().count(Event, { tenantId: TENANT, processedAt: null })) === 0;
  const profileIdOf = async (type: 'USER_ID' | 'ANONYMOUS_ID', value: string) =>
    (await gql(stack.gateway.url, `query($t: IdentityType!, $v: String!) { profileByIdentity(type: $t, value: $v) { id } }`, { t: type, v: value }, bearer(reader))).data!.profileByIdentity
      .id as string;
  const historyOf = async (id: string): Promise<History> => {
    const res = await gql(stack.gateway.url, PROFILE_HISTORY, { id }, bearer(reader));
    expect(res.errors).toBeUndefined();
    const p = res.data!.profile;
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    return { signals: ids(p.signals), journeys: ids(p.journeys), alerts: ids(p.alerts) };
  };
  /** A journey start and three failed ID uploads: a retry loop signal on a journey instance. */
  const tries = (who: Record<string, string>, prefix: string, t0: number) => [
    { type: 'track', messageId: `${prefix}-1`, ...who, event: 'Account Opening Started', timestamp: new Date(t0).toISOString() },
    ...[1, 2, 3].map((i) => ({ type: 'track', messageId: `${prefix}-f${i}`, ...who, event: 'ID Upload Failed', properties: { reason: 'blurry' }, timestamp: new Date(t0 + i * MINUTE).toISOString() })),
  ];
  /** Each side's own history, once the pipeline has stored it: a signal, a journey and an alert. */
  async function historyOfOne(id: string): Promise<History> {
    await waitFor(async () => (await signalsDb().count(Signal, { tenantId: TENANT, profileId: id })) > 0 && (await signalsDb().count(JourneyInstance, { tenantId: TENANT, profileId: id })) > 0, 30_000, 100);
    await createRiskService(stack.subgraphs.risk.deps, TENANT).record({ profileId: id, kind: 'churn', probability: 0.9, reasons: [], model: PRIOR });
    await waitFor(async () => (await forkAcrossTenants(stack.subgraphs.actions.deps.orm).count(Alert, { tenantId: TENANT, profileId: id })) > 0, 30_000, 100);
    const history = await historyOf(id);
    expect(history.signals.length).toBeGreaterThan(0);
    expect(history.journeys.length).toBeGreaterThan(0);
    expect(history.alerts.length).toBeGreaterThan(0);
    return history;
  }

  it('shows the known customer and the anonymous visitor’s histories on the survivor after an identify links them', async () => {
    const journey = await gql(
      stack.gateway.url,
      `mutation($input: CreateJourneyInput!) { createJourney(input: $input) { id } }`,
      {
        input: {
          name: 'Account opening',
          steps: [
            { key: 'start', event: 'Account Opening Started', slaMs: 30 * MINUTE },
            { key: 'id_upload', event: 'ID Upload Succeeded', slaMs: 30 * MINUTE, failureEvents: ['ID Upload Failed'] },
          ],
          slaMs: 24 * 60 * MINUTE,
          sessionTimeoutMs: 30 * MINUTE,
        },
      },
      bearer(admin),
    );
    expect(journey.errors).toBeUndefined();

    const now = Date.now();
    await post([{ type: 'identify', messageId: 'k-0', userId: 'known-1', traits: { email: 'known@shop.example' }, timestamp: new Date(now - 3 * 60 * MINUTE).toISOString() }, ...tries({ userId: 'known-1' }, 'k', now - 3 * 60 * MINUTE)]);
    await post(tries({ anonymousId: 'visitor-1' }, 'a', now - 20 * MINUTE));
    await waitFor(allProcessed, 30_000, 100);
    const known = await profileIdOf('USER_ID', 'known-1');
    const visitor = await profileIdOf('ANONYMOUS_ID', 'visitor-1');
    expect(visitor).not.toBe(known);
    const knownHistory = await historyOfOne(known);
    const visitorHistory = await historyOfOne(visitor);

    // the visitor logs in: the anonymous profile merges into the known customer's
    await post([{ type: 'identify', messageId: 'link', anonymousId: 'visitor-1', userId: 'known-1', timestamp: new Date(now).toISOString() }]);
    await waitFor(async () => (await profileIdOf('ANONYMOUS_ID', 'visitor-1')) === known, 30_000, 100);

    const both = (a: string[], b: string[]) => [...a, ...b].sort();
    await waitFor(async () => {
      const h = await historyOf(known);
      return [...both(knownHistory.signals, visitorHistory.signals), ...both(knownHistory.journeys, visitorHistory.journeys), ...both(knownHistory.alerts, visitorHistory.alerts)].every(
        (id) => h.signals.includes(id) || h.journeys.includes(id) || h.alerts.includes(id),
      );
    }, 30_000, 200);
    const survivor = await historyOf(known);
    expect(survivor.signals).toEqual(expect.arrayContaining(both(knownHistory.signals, visitorHistory.signals)));
    expect(survivor.journeys).toEqual(expect.arrayContaining(both(knownHistory.journeys, visitorHistory.journeys)));
    expect(survivor.alerts).toEqual(expect.arrayContaining(both(knownHistory.alerts, visitorHistory.alerts)));
    // nothing is left under the merged-away id in signals or actions
    expect(await signalsDb().count(Event, { tenantId: TENANT, profileId: visitor })).toBe(0);
    expect(await signalsDb().count(Signal, { tenantId: TENANT, profileId: visitor })).toBe(0);
    expect(await signalsDb().count(JourneyInstance, { tenantId: TENANT, profileId: visitor })).toBe(0);
    expect(await forkAcrossTenants(stack.subgraphs.actions.deps.orm).count(Alert, { tenantId: TENANT, profileId: visitor })).toBe(0);
  });
});
