import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import { PRIOR_MODEL_REF as PRIOR } from '../../subgraphs/risk/domain/churn/prior';
import { signContext } from '../../subgraphs/common/auth-context';
import { SIGNAL_DETECTED } from '../../subgraphs/common/pubsub';
import { createRiskService } from '../../subgraphs/risk';
import { bearer, gql, startStack, type GqlResponse, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe } from '../fixtures/ws-client';

/**
 * Issue 14, "Partners see only what their scope allows": profile data (everything on Profile but
 * its id) needs `profiles:read` however the Profile is reached. The paths are not listed by hand:
 * they are found by walking the gateway's schema from every root field to Profile, so a new
 * field that returns a Profile is covered the day it is added.
 */

const PROFILE_DATA = 'traits computedTraits mergedFrom createdAt updatedAt identities { type value } groups { groupId }';

const SCOPE_SETS: string[][] = [
  ['profiles:read'],
  ['events:write'],
  ['risk:read'],
  ['risk:subscribe'],
  ['actions:write'],
  ['risk:read', 'risk:subscribe', 'events:write', 'actions:write'],
  ['risk:subscribe', 'profiles:read'],
  ['admin'],
];
const readsProfiles = (scopes: string[]) => scopes.includes('profiles:read') || scopes.includes('admin');

interface ProfilePath {
  operation: 'query' | 'mutation' | 'subscription';
  /** e.g. `Subscription.riskChanged.profile` */
  name: string;
  document: string;
}

/** A literal for a required argument: enough to pass validation, never meant to find anything. */
function literal(type: GraphQLInputType): string {
  if (isNonNullType(type)) return literal(type.ofType);
  if (isListType(type)) return `[${literal(type.ofType)}]`;
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type) && f.defaultValue === undefined);
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'Int':
      case 'Float':
        return '1';
      case 'Boolean':
        return 'true';
      case 'DateTimeISO':
        return '"2026-01-01T00:00:00.000Z"';
      case 'JSONObject':
        return '{}';
      default:
        return '"00000000-0000-7000-8000-000000000000"';
    }
  }
  throw new Error(`no literal for ${String(type)}`);
}

function requiredArgs(args: readonly GraphQLArgument[]): string {
  const required = args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  return required.length ? `(${required.map((a) => `${a.name}: ${literal(a.type)}`).join(', ')})` : '';
}

/**
 * The shortest path from each root field to a Profile (breadth-first over object types), as a
 * document selecting the profile's data at its end.
 */
function profilePaths(schema: GraphQLSchema): ProfilePath[] {
  const roots: [ProfilePath['operation'], GraphQLObjectType | null | undefined][] = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
    ['subscription', schema.getSubscriptionType()],
  ];
  const paths: ProfilePath[] = [];
  for (const [operation, root] of roots) {
    for (const field of Object.values(root?.getFields() ?? {})) {
      const start = getNamedType(field.type);
      if (!isObjectType(start)) continue;
      const queue: { type: GraphQLObjectType; selection: string[]; names: string[] }[] = [
        { type: start, selection: [`${field.name}${requiredArgs(field.args)}`], names: [`${root!.name}.${field.name}`] },
      ];
      const seen = new Set<string>([start.name]);
      while (queue.length) {
        const { type, selection, names } = queue.shift()!;
        if (type.name === 'Profile') {
          const body = selection.reduceRight((inner, step) => `${step} { ${inner} }`, `id ${PROFILE_DATA}`);
          paths.push({ operation, name: names.join('.'), document: `${operation} { ${body} }` });
          break;
        }
        for (const next of Object.values(type.getFields())) {
          const named = getNamedType(next.type);
          if (!isObjectType(named) || seen.has(named.name)) continue;
          seen.add(named.name);
          queue.push({ type: named, selection: [...selection, `${next.name}${requiredArgs(next.args)}`], names: [...names, next.name] });
        }
      }
    }
  }
  return paths;
}

type Outcome = { errors?: readonly { message: string; extensions?: Record<string, unknown> }[]; data?: unknown };

/** The first answer to one operation over an open graphql-ws connection. */
function overWs(client: Client, query: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const dispose = client.subscribe(
      { query },
      {
        next: (value) => {
          dispose();
          resolve(value as Outcome);
        },
        error: (error) => resolve({ errors: Array.isArray(error) ? error : [{ message: String(error) }] }),
        complete: () => resolve({}),
      },
    );
  });
}

const forbidsProfileData = (res: Outcome | GqlResponse) =>
  Boolean(res.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && /Profile\.traits needs profiles:read/.test(e.message)));

describe('Profile data needs profiles:read wherever it is reached', () => {
  let stack: Stack;
  let paths: ProfilePath[];
  const keys = new Map<string, string>();
  const clients: Client[] = [];
  let profileId: string;

  beforeAll(async () => {
    stack = await startStack();
    for (const scopes of SCOPE_SETS) keys.set(scopes.join(','), await stack.key('tenant-a', scopes));
    paths = profilePaths(await stack.gateway.runtime.getSchema());
    const admin = keys.get('admin')!;
    const res = await gql(
      stack.gateway.url,
      `mutation { upsertProfile(input: { identities: [{ type: EMAIL, value: "ada@example.com" }], traits: { plan: "gold" } }) { id } }`,
      {},
      bearer(admin),
    );
    profileId = res.data!.upsertProfile.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await stack?.stop();
  });

  it('finds the known paths to a Profile in the schema', () => {
    const names = paths.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'Query.profile',
        'Query.alerts.profile',
        'Subscription.riskChanged.profile',
        'Subscription.signalDetected.profile',
        'Subscription.alertRaised.profile',
        'Mutation.acknowledgeAlert.profile',
      ]),
    );
    console.log(`profile paths found: ${paths.length} (${paths.filter((p) => p.operation === 'subscription').length} subscriptions)`);
  });

  it.each(SCOPE_SETS.filter((s) => !readsProfiles(s)).map((s) => [s.join(',')]))(
    'refuses profile data to a key with %s on every path, over HTTP',
    async (scopes) => {
      const failures: string[] = [];
      for (const path of paths) {
        const res = await gql(stack.gateway.url, path.document, {}, bearer(keys.get(scopes)!));
        if (!forbidsProfileData(res) || res.data) failures.push(`${path.name}: ${JSON.stringify(res).slice(0, 300)}`);
      }
      expect(failures).toEqual([]);
    },
  );

  it.each(SCOPE_SETS.filter((s) => !readsProfiles(s)).map((s) => [s.join(',')]))(
    'refuses profile data to a key with %s on every path, over graphql-ws',
    async (scopes) => {
      const client = createClient({
        url: stack.gateway.wsUrl,
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${keys.get(scopes)}` },
        retryAttempts: 0,
      });
      clients.push(client);
      const failures: string[] = [];
      for (const path of paths) {
        const res = await overWs(client, path.document);
        // the gateway runs no mutation over graphql-ws at all (405 BAD_REQUEST): refused too
        const refused = forbidsProfileData(res) || (path.operation === 'mutation' && res.errors?.[0]?.extensions?.code === 'BAD_REQUEST');
        if (!refused || res.data) failures.push(`${path.name}: ${JSON.stringify(res).slice(0, 300)}`);
      }
      expect(failures).toEqual([]);
    },
  );

  it.each(SCOPE_SETS.filter(readsProfiles).map((s) => [s.join(',')]))(
    'never refuses profile data itself to a key with %s (queries, HTTP)',
    async (scopes) => {
      for (const path of paths.filter((p) => p.operation === 'query')) {
        const res = await gql(stack.gateway.url, path.document, {}, bearer(keys.get(scopes)!));
        expect([path.name, forbidsProfileData(res)]).toEqual([path.name, false]);
      }
    },
  );

  it('streams riskChanged to a risk:subscribe key with the profile id, and refuses its traits', async () => {
    const key = keys.get('risk:subscribe')!;
    const idOnly = subscribe(stack.gateway.wsUrl, 'subscription { riskChanged { score profile { id } } }', {}, bearer(key));
    const withTraits = subscribe(stack.gateway.wsUrl, 'subscription { riskChanged { score profile { id traits } } }', {}, bearer(key));
    try {
      const refused = await withTraits.done;
      expect(JSON.stringify(refused.error ?? withTraits.results)).toMatch(/Profile\.traits needs profiles:read/);
      await waitForSubscriber(stack, 'RISK_CHANGED');
      await createRiskService(stack.subgraphs.risk.deps, 'tenant-a').record({ profileId, kind: 'churn', probability: 0.9, reasons: [], model: PRIOR });
      const [event] = await idOnly.next(1);
      expect(event.errors).toBeUndefined();
      expect(event.data).toEqual({ riskChanged: { score: 90, profile: { id: profileId } } });
    } finally {
      await Promise.all([idOnly.close(), withTraits.close()]);
    }
  });

  it('hydrates signalDetected.profile traits for a key with risk:subscribe and profiles:read', async () => {
    const key = keys.get('risk:subscribe,profiles:read')!;
    const sub = subscribe(stack.gateway.wsUrl, 'subscription { signalDetected { type profile { id traits identities { value } } } }', {}, bearer(key));
    try {
      await waitForSubscriber(stack, 'SIGNAL_DETECTED');
      stack.subgraphs.signals.deps.pubSub.publish(SIGNAL_DETECTED, 'tenant-a', {
        tenantId: 'tenant-a',
        signalId: '00000000-0000-7000-8000-000000000001',
        profileId,
        type: 'retry_loop',
        severity: 0.5,
        journeyInstanceId: null,
        detectedAt: new Date().toISOString(),
        summary: 'probe',
      });
      const [event] = await sub.next(1);
      expect(event.errors).toBeUndefined();
      expect(event.data).toEqual({
        signalDetected: { type: 'retry_loop', profile: { id: profileId, traits: { plan: 'gold' }, identities: [{ value: 'ada@example.com' }] } },
      });
    } finally {
      await sub.close();
    }
  });

  describe('in the profiles subgraph (the second lock, whatever the gateway lets through)', () => {
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Profile { id traits } } }`;
    const asScopes = (scopes: string[]) => ({
      'x-foresight-context': signContext({ tenantId: 'tenant-a', keyId: 'k', scopes }, stack.config.secret, 'profiles', 60),
    });

    it.each([['risk:subscribe'], ['risk:read'], ['actions:write'], ['events:write']])(
      'refuses Profile.traits of an entity reference to a context with only %s',
      async (scope) => {
        const res = await gql(stack.subgraphs.profiles.url, entities, { r: [{ __typename: 'Profile', id: profileId }] }, asScopes([scope]));
        expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(JSON.stringify(res.data)).not.toContain('gold');
      },
    );

    it('resolves the reference for a context with profiles:read (the control case)', async () => {
      const res = await gql(stack.subgraphs.profiles.url, entities, { r: [{ __typename: 'Profile', id: profileId }] }, asScopes(['profiles:read']));
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ _entities: [{ id: profileId, traits: { plan: 'gold' } }] });
    });
  });
});

/** Resolves once Redis counts a subscriber on tenant-a's channel of `topic`. */
async function waitForSubscriber(stack: Stack, topic: string): Promise<void> {
  const redis = stack.subgraphs.risk.deps.redis;
  const channel = `${stack.config.queuePrefix}:${topic}:tenant-a`;
  await waitFor(async () => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]) > 0);
}
