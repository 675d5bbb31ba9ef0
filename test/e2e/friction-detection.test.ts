
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { sweepFriction } from '../../subgraphs/signals/workers/sweep-friction.worker';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe, type Subscription } from '../fixtures/ws-client';

const SIGNAL_DETECTED = /* GraphQL */ `
  subscription Watch($types: [String!], $minSeverity: Float) {
    signalDetected(types: $types, minSeverity: $minSeverity) {
      id type severity summary journeyInstanceId detectedAt
      profile { id identities { type value } }
    }
  }
`;

const RISK_CHANGED = /* GraphQL */ `
  subscription {
    riskChanged {
      profile { id traits }
      kind
      score
      bucket
      model { name }
      reasons { factor contribution description evidence }
    }
  }
`;
const PROFILE_RISK = /* GraphQL */ `
  query ($id: ID!) {
    profile(id: $id) {
      risk {
        score
        model { name }
        reasons { factor description evidence }
      }
    }
  }
`;
const PROFILE_SIGNALS = /* GraphQL */ `
  query($id: ID!) {
    profile(id: $id) {
      id
      signals(first: 50) { id type severity evidence journeyInstanceId detectedAt }
    }
  }
`;

const MINUTE = 60_000;

/**
 * The bank-onboarding story: a customer starts opening an account in the mobile app, fills in
 * their details, fails the ID upload three times within minutes, then goes silent.
 */
describe('friction detection through the gateway (bank onboarding)', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  let reader: string;
  let partner: string;
  let journeyDefined = false;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('bank', ['admin']);
    writer = await stack.key('bank', ['events:write']);
    reader = await stack.key('bank', ['profiles:read', 'risk:read']);
    partner = await stack.key('bank', ['risk:subscribe', 'profiles:read']);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: unknown) =>
    fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writer}:`).toString('base64')}` },
      body: JSON.stringify(body),
    });

  it('defines the account-opening journey (createJourney)', async () => {
    const res = await gql(
      stack.gateway.url,
      `mutation($input: CreateJourneyInput!) { createJourney(input: $input) { id name } }`,
      {
        input: {
          name: 'Account opening',
          steps: [
            { key: 'start', event: 'Account Opening Started', slaMs: 30 * MINUTE },
            { key: 'details', event: 'Personal Details Submitted', slaMs: 30 * MINUTE },
            { key: 'id_upload', event: 'ID Upload Succeeded', slaMs: 30 * MINUTE, failureEvents: ['ID Upload Failed'] },
            { key: 'opened', event: 'Account Opened' },
          ],
          slaMs: 24 * 60 * MINUTE,
          sessionTimeoutMs: 30 * MINUTE,
        },
      },
      bearer(admin),
    );
    expect(res.errors).toBeUndefined();
    journeyDefined = Boolean(res.data?.createJourney?.id);
  });

  describe('a customer who retries the ID upload three times, then goes silent', () => {
    const t0 = Date.now() - 10 * MINUTE;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const app = { app: { name: 'Bank', version: '5.2.0' }, device: { type: 'ios' }, os: { name: 'iOS' } };
    const failures = ['ob-4', 'ob-5', 'ob-6'];
    let profileId: string;
    let sub: Subscription<Record<string, any>>;
    let riskSub: Subscription<Record<string, any>>;

    beforeAll(async () => {
      sub = subscribe(stack.gateway.wsUrl, SIGNAL_DETECTED, {}, { authorization: `Bearer ${partner}` });
      riskSub = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { authorization: `Bearer ${partner}` });
      // the subscriber is registered with Redis before any signal can be published
      await new Promise((r) => setTimeout(r, 500));
      const res = await post({
        batch: [
          { type: 'identify', messageId: 'ob-1', userId: 'bank-u1', traits: { email: 'ada@bank.example' }, timestamp: at(0) },
          { type: 'track', messageId: 'ob-2', userId: 'bank-u1', event: 'Account Opening Started', properties: { product: 'current_account' }, timestamp: at(0) },
          { type: 'track', messageId: 'ob-3', userId: 'bank-u1', event: 'Personal Details Submitted', timestamp: at(1 * MINUTE) },
          { type: 'track', messageId: failures[0], userId: 'bank-u1', event: 'ID Upload Failed', properties: { reason: 'blurry' }, timestamp: at(2 * MINUTE) },
          { type: 'track', messageId: failures[1], userId: 'bank-u1', event: 'ID Upload Failed', properties: { reason: 'glare' }, timestamp: at(3 * MINUTE) },
          { type: 'track', messageId: failures[2], userId: 'bank-u1', event: 'ID Upload Failed', properties: { reason: 'blurry' }, timestamp: at(5 * MINUTE) },
        ],
        context: app,
        sentAt: new Date().toISOString(),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 6, errors: [] });
      const em = () => forkAcrossTenants(stack.subgraphs.signals.deps.orm);
      await waitFor(async () => (await em().count(Event, { tenantId: 'bank', processedAt: null })) === 0, 20_000, 100);
      const found = await gql(stack.gateway.url, `{ profileByIdentity(type: USER_ID, value: "bank-u1") { id } }`, {}, bearer(reader));
      profileId = found.data!.profileByIdentity.id;
    });
    afterAll(() => Promise.all([sub?.close(), riskSub?.close()]));

    const profileSignals = async () => {
      const res = await gql(stack.gateway.url, PROFILE_SIGNALS, { id: profileId }, bearer(reader));
      expect(res.errors).toBeUndefined();
      return res.data!.profile.signals as { id: string; type: string; severity: number; evidence: Record<string, any>; journeyInstanceId: string | null }[];
    };
    const failureIds = async () =>
      (await forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId: 'bank', messageId: { $in: failures } })).map((e) => e.id).sort();

    it('reports one retry loop with its evidence on Profile.signals', async () => {
      await waitFor(async () => (await profileSignals()).some((s) => s.type === 'retry_loop'), 20_000, 200);
      const loops = (await profileSignals()).filter((s) => s.type === 'retry_loop');
      expect(loops).toHaveLength(1);
      const [loop] = loops;
      expect(loop.severity).toBeGreaterThan(0);
      expect([...loop.evidence.eventIds].sort()).toEqual(await failureIds());
      expect(loop.evidence.summary).toMatch(/ID Upload/);
      expect(JSON.stringify(loop.evidence)).toMatch(/3/);
      if (journeyDefined) expect(loop.journeyInstanceId).toEqual(expect.any(String));
    });

    it('re-scores the profile: the churn reasons quote the retry loop, with the signal as evidence', async () => {
      const riskOf = async () => {
        const res = await gql(stack.gateway.url, PROFILE_RISK, { id: profileId }, bearer(reader));
        expect(res.errors).toBeUndefined();
        return res.data!.profile.risk as { score: number; model: { name: string }; reasons: { factor: string; description: string; evidence: string[] }[] } | null;
      };
      await waitFor(async () => Boolean((await riskOf())?.reasons.some((r) => r.factor === 'signals_30d:retry_loop')), 20_000, 200);
      const risk = (await riskOf())!;
      expect(risk.model.name).toBe('prior');
      const loopIds = (await profileSignals()).filter((s) => s.type === 'retry_loop').map((s) => s.id);
      const reason = risk.reasons.find((r) => r.factor === 'signals_30d:retry_loop')!;
      expect(reason.evidence).toEqual(loopIds);
      expect(reason.description).toMatch(/ID Upload/);
      expect(risk.score).toBeGreaterThan(10); // above the prior's base rate
    });

    it('streams the new score to a riskChanged subscriber, with the profile’s traits and the reasons', async () => {
      const quotesLoop = (r: any) => r.data?.riskChanged?.reasons?.some((x: { factor: string }) => x.factor === 'signals_30d:retry_loop');
      await waitFor(() => riskSub.results.some(quotesLoop), 20_000, 100);
      const got = riskSub.results.find(quotesLoop)!;
      expect(got.errors).toBeUndefined();
      const change = got.data!.riskChanged;
      expect(change.profile).toEqual({ id: profileId, traits: { email: 'ada@bank.example' } });
      expect(change.kind).toBe('churn');
      expect(change.model.name).toBe('prior');
      const loop = change.reasons.find((x: { factor: string }) => x.factor === 'signals_30d:retry_loop');
      expect(loop.description).toMatch(/ID Upload/);
      expect(loop.evidence).toEqual((await profileSignals()).filter((s) => s.type === 'retry_loop').map((s) => s.id));
      expect(loop.contribution).toBeGreaterThan(0);
    });

    it('scores the open journey’s drop-off risk (prior before a trained model), readable on Profile.journeys', async () => {
      const journeysOf = async () => {
        const res = await gql(
          stack.gateway.url,
          `query($id: ID!) { profile(id: $id) { journeys { id state dropOffRisk { kind score journeyInstanceId model { name } reasons { factor contribution description } } } } }`,
          { id: profileId },
          bearer(reader),
        );
        expect(res.errors).toBeUndefined();
        return res.data!.profile.journeys as { id: string; dropOffRisk: Record<string, any> | null }[];
      };
      await waitFor(async () => (await journeysOf()).some((j) => j.dropOffRisk?.reasons.some((r: { factor: string }) => r.factor === 'retries')), 20_000, 200);
      const journey = (await journeysOf()).find((j) => j.dropOffRisk)!;
      expect(journey.dropOffRisk).toMatchObject({ kind: 'drop_off', journeyInstanceId: journey.id, model: { name: 'prior' } });
      expect(journey.dropOffRisk!.score).toBeGreaterThan(15); // above the prior's base rate: retries
      expect(journey.dropOffRisk!.reasons.find((r: { factor: string }) => r.factor === 'retries').description).toMatch(/retr/);
    });

    it('streams the signal to a signalDetected subscriber, with the profile hydrated', async () => {
      await waitFor(() => sub.results.some((r) => r.data?.signalDetected?.type === 'retry_loop'), 10_000, 100);
      const got = sub.results.find((r) => r.data?.signalDetected?.type === 'retry_loop')!;
      expect(got.errors).toBeUndefined();
      expect(got.data!.signalDetected).toMatchObject({
        summary: expect.stringMatching(/ID Upload/),
        profile: { id: profileId, identities: expect.arrayContaining([{ type: 'USER_ID', value: 'bank-u1' }]) },
      });
      const stored = (await profileSignals()).find((s) => s.type === 'retry_loop')!;
      expect(got.data!.signalDetected.id).toBe(stored.id);
    });

    it('lists the tenant’s signals with filters and cursor pagination', async () => {
      const res = await gql(
        stack.gateway.url,
        `query($filter: SignalsFilter) { signals(filter: $filter, first: 1) { edges { cursor node { id type profile { id } } } pageInfo { hasNextPage endCursor } } }`,
        { filter: { profileId, types: ['retry_loop'], minSeverity: 0.1 } },
        bearer(reader),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.signals.edges).toEqual([{ cursor: expect.any(String), node: { id: expect.any(String), type: 'retry_loop', profile: { id: profileId } } }]);
      expect(res.data!.signals.pageInfo.hasNextPage).toBe(false);
    });

    it('reports the stall and the mid-journey exit once time passes (sweep at a later now)', async () => {
      if (!journeyDefined) return;
      const later = new Date(t0 + 5 * MINUTE + 2 * 60 * MINUTE);
      await sweepFriction(null, stack.subgraphs.signals.deps, later);
      const types = (await profileSignals()).map((s) => s.type);
      expect(types).toEqual(expect.arrayContaining(['retry_loop', 'stall', 'mid_journey_exit']));
      const stall = (await profileSignals()).find((s) => s.type === 'stall')!;
      expect(stall.evidence.summary).toEqual(expect.any(String));
      expect(stall.journeyInstanceId).toEqual(expect.any(String));
      // a second tick at the same time changes nothing
      await sweepFriction(null, stack.subgraphs.signals.deps, later);
      expect((await profileSignals()).length).toBe(types.length);
      await waitFor(() => sub.results.some((r) => r.data?.signalDetected?.type === 'stall'), 10_000, 100);
    });
  });

  it('keeps friction settings per tenant, admin only', async () => {
    const update = await gql(
      stack.gateway.url,
      `mutation($input: UpdateFrictionSettingsInput!) { updateFrictionSettings(input: $input) { overrides effective } }`,
      { input: { overrides: { supportBurst: { events: ['Zendesk Ticket Opened'], minEvents: 2 } } } },
      bearer(admin),
    );
    expect(update.errors).toBeUndefined();
    expect(update.data!.updateFrictionSettings.effective.supportBurst).toMatchObject({ events: ['Zendesk Ticket Opened'], minEvents: 2, windowMs: 604_800_000 });
    const bad = await gql(
      stack.gateway.url,
      `mutation($input: UpdateFrictionSettingsInput!) { updateFrictionSettings(input: $input) { overrides } }`,
      { input: { overrides: { retryLoop: { minFailures: 'three' } } } },
      bearer(admin),
    );
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const forbidden = await gql(stack.gateway.url, `{ frictionSettings { overrides } }`, {}, bearer(reader));
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
