import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { JourneyService } from '../../subgraphs/signals/services/journey.service';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const DEF_FIELDS = 'id name description completionStep slaMs sessionTimeoutMs version retryLoop { count windowMs } steps { key event slaMs failureEvents conditions { property equals in } }';
const CREATE = `mutation($input: CreateJourneyInput!) { createJourney(input: $input) { ${DEF_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateJourneyInput!) { updateJourney(id: $id, input: $input) { ${DEF_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteJourney(id: $id) }`;
const INSTANCE_FIELDS = 'id state currentStep exited startedAt completedAt steps { key reachedAt } definition { name } profile { id traits }';
const PROFILE_JOURNEYS = `query($id: ID!) { profile(id: $id) { id traits journeys { ${INSTANCE_FIELDS} } } }`;
const JOURNEY = `query($id: ID!) { journey(id: $id) { ${INSTANCE_FIELDS} } }`;
const JOURNEYS = `query($definitionId: ID, $state: JourneyState) { journeys(definitionId: $definitionId, state: $state) { id state } }`;
const FUNNEL = `query($id: ID!) { journeyFunnel(definitionId: $id) { entered completed steps { key reached conversion medianTimeMs } } }`;
const INGEST = `mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted errors { index message } } }`;

const ONBOARDING = {
  name: 'Account opening',
  description: 'Mobile account opening',
  steps: [
    { key: 'started', event: 'Account Opening Started', conditions: [{ property: 'channel', in: ['ios', 'android'] }] },
    { key: 'id_upload', event: 'ID Uploaded', failureEvents: ['ID Upload Failed'], slaMs: 7_200_000 },
    { key: 'opened', event: 'Account Opened' },
  ],
};

describe('journeys through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let reader: string;
  let writer: string;
  let other: string;
  let definitionId: string;
  let profileId: string;

  const call = (key: string, query: string, variables: Record<string, unknown> = {}) => gql(stack.gateway.url, query, variables, bearer(key));

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('jrn-a', ['admin']);
    reader = await stack.key('jrn-a', ['profiles:read']);
    writer = await stack.key('jrn-a', ['events:write', 'actions:write']);
    other = await stack.key('jrn-b', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('creates a journey with defaults (admin only)', async () => {
    const denied = await call(reader, CREATE, { input: ONBOARDING });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const res = await call(admin, CREATE, { input: ONBOARDING });
    expect(res.errors).toBeUndefined();
    const def = res.data!.createJourney;
    definitionId = def.id;
    expect(def).toMatchObject({
      name: 'Account opening',
      completionStep: 'opened',
      slaMs: 604_800_000,
      sessionTimeoutMs: 1_800_000,
      version: 1,
      retryLoop: { count: 3, windowMs: 600_000 },
    });
    expect(def.steps).toEqual([
      { key: 'started', event: 'Account Opening Started', slaMs: 86_400_000, failureEvents: [], conditions: [{ property: 'channel', equals: null, in: ['ios', 'android'] }] },
      { key: 'id_upload', event: 'ID Uploaded', slaMs: 7_200_000, failureEvents: ['ID Upload Failed'], conditions: [] },
      { key: 'opened', event: 'Account Opened', slaMs: null, failureEvents: [], conditions: [] },
    ]);
  });

  it('refuses invalid definitions with every problem, and duplicate names', async () => {
    const bad = await call(admin, CREATE, {
      input: { name: 'Bad', steps: [{ key: 'a', event: 'A', failureEvents: ['A'] }], slaMs: -5, retryLoop: { count: 1 } },
    });
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('steps: must be a list of 2–50 steps');
    expect(bad.errors?.[0]?.message).toContain('slaMs: must be a whole number of milliseconds');
    expect(bad.errors?.[0]?.message).toContain('retryLoop.count: must be a whole number from 2 to 100');
    const dup = await call(admin, CREATE, { input: ONBOARDING });
    expect(dup.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('updates a journey, keeping omitted fields', async () => {
    const res = await call(admin, UPDATE, { id: definitionId, input: { retryLoop: { count: 4 }, sessionTimeoutMs: 900_000 } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.updateJourney).toMatchObject({ version: 2, retryLoop: { count: 4, windowMs: 600_000 }, sessionTimeoutMs: 900_000, completionStep: 'opened', description: 'Mobile account opening' });
    const missing = await call(other, UPDATE, { id: definitionId, input: { slaMs: 1000 } });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('shows a customer’s journeys with their profile, and the funnel', async () => {
    const events = [
      { type: 'track', messageId: 'j-1', userId: 'ada', event: 'Account Opening Started', properties: { channel: 'ios' }, timestamp: '2026-11-25T09:00:00Z' },
      { type: 'identify', messageId: 'j-2', userId: 'ada', traits: { plan: 'pro' }, timestamp: '2026-11-25T09:00:30Z' },
      { type: 'track', messageId: 'j-3', userId: 'ada', event: 'ID Uploaded', timestamp: '2026-11-25T09:04:00Z' },
    ];
    const ingested = await call(writer, INGEST, { events });
    expect(ingested.data!.ingestEvents).toMatchObject({ accepted: 3, errors: [] });
    // the detect worker advances journeys for each resolved event; here the test does it
    const em = stack.subgraphs.signals.deps.orm.em;
    await waitFor(async () => (await forkAcrossTenants(em).count(Event, { tenantId: 'jrn-a', processedAt: { $ne: null } })) === 3);
    for (const event of await forkAcrossTenants(em).find(Event, { tenantId: 'jrn-a' }, { orderBy: { timestamp: 'asc' } })) {
      await new JourneyService(forkAcrossTenants(em), 'jrn-a').advance(event);
      profileId = event.profileId!;
    }

    const res = await call(reader, PROFILE_JOURNEYS, { id: profileId });
    expect(res.errors).toBeUndefined();
    const [journey] = res.data!.profile.journeys;
    expect(journey).toMatchObject({
      state: 'ACTIVE',
      currentStep: 'id_upload',
      exited: false,
      startedAt: '2026-11-25T09:00:00.000Z',
      completedAt: null,
      steps: [
        { key: 'started', reachedAt: '2026-11-25T09:00:00.000Z' },
        { key: 'id_upload', reachedAt: '2026-11-25T09:04:00.000Z' },
      ],
      definition: { name: 'Account opening' },
      profile: { id: profileId, traits: { plan: 'pro' } },
    });

    const one = await call(reader, JOURNEY, { id: journey.id });
    expect(one.data!.journey).toMatchObject({ id: journey.id, currentStep: 'id_upload' });
    expect((await call(reader, JOURNEYS, { definitionId, state: 'ACTIVE' })).data!.journeys).toEqual([{ id: journey.id, state: 'ACTIVE' }]);
    expect((await call(reader, JOURNEYS, { state: 'COMPLETED' })).data!.journeys).toEqual([]);

    const funnel = await call(reader, FUNNEL, { id: definitionId });
    expect(funnel.errors).toBeUndefined();
    expect(funnel.data!.journeyFunnel).toEqual({
      entered: 1,
      completed: 0,
      steps: [
        { key: 'started', reached: 1, conversion: 1, medianTimeMs: 240_000 },
        { key: 'id_upload', reached: 1, conversion: 1, medianTimeMs: null },
        { key: 'opened', reached: 0, conversion: 0, medianTimeMs: null },
      ],
    });

    // another tenant sees none of it
    expect((await call(other, JOURNEY, { id: journey.id })).data!.journey).toBeNull();
    expect((await call(other, JOURNEYS)).data!.journeys).toEqual([]);
  });

  it('needs profiles:read for every journey read', async () => {
    for (const [query, variables] of [
      [JOURNEYS, {}],
      [FUNNEL, { id: definitionId }],
      [PROFILE_JOURNEYS, { id: profileId }],
    ] as const) {
      const res = await call(writer, query, variables);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });

  it('deletes a journey with its instances', async () => {
    expect((await call(reader, DELETE, { id: definitionId })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const res = await call(admin, DELETE, { id: definitionId });
    expect(res.data!.deleteJourney).toBe(definitionId);
    expect((await call(reader, JOURNEYS)).data!.journeys).toEqual([]);
    expect((await call(admin, DELETE, { id: definitionId })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
