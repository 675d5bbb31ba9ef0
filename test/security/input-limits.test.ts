import fc from 'fast-check';

import { INPUT_STRING_LIMITS, type InputStringLimitName } from '../../subgraphs/common/limits';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';

/**
 * Issue 14, "one limit table, enforced at the edge": every free-text string an admin or client
 * stores through a mutation has a cap from subgraphs/common/limits.ts. An oversized string in any
 * of them is refused with BAD_USER_INPUT naming the field and the cap, and nothing is stored,
 * through the gateway. Each mutation's base input is valid (it is stored, checked below), so the
 * refusal is the cap's doing.
 */

const SEED = 14_2027;
const TENANT = 'caps';
const WEBHOOK_SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

interface Case {
  mutation: string;
  document: string;
  /** A valid input: without an oversized string it is stored. */
  base: () => Record<string, unknown>;
  /** Variable paths of free-text strings and the table entry capping each. */
  fields: [path: string, cap: InputStringLimitName][];
  /** What the mutation would store, read back through the gateway. */
  snapshot: string;
}

let unique = 0;
const next = (prefix: string) => `${prefix}-${(unique += 1)}`;

const CASES: Case[] = [
  {
    mutation: 'upsertProfile',
    document: 'mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }',
    base: () => ({ input: { identities: [{ type: 'USER_ID', value: next('cap-user') }], traits: { plan: 'pro', address: { line1: '1 Main St' } } } }),
    fields: [
      ['input.identities[0].value', 'value'],
      ['input.traits.plan', 'json'],
      ['input.traits.address.line1', 'json'],
    ],
    snapshot: '{ profiles(first: 200) { edges { node { id traits } } } }',
  },
  {
    mutation: 'createSegment',
    document: 'mutation($input: CreateSegmentInput!) { createSegment(input: $input) { id } }',
    base: () => ({ input: { name: next('Pro plan'), description: 'Paying customers', condition: { path: 'traits.plan', op: 'eq', value: 'pro' } } }),
    fields: [
      ['input.name', 'name'],
      ['input.description', 'description'],
      ['input.condition.value', 'json'],
    ],
    snapshot: '{ segments { id name description condition } }',
  },
  {
    mutation: 'createJourney',
    document: 'mutation($input: CreateJourneyInput!) { createJourney(input: $input) { id } }',
    base: () => ({
      input: {
        name: next('Onboarding'),
        description: 'Mobile account opening',
        steps: [
          { key: 'started', event: 'Account Opening Started', conditions: [{ property: 'channel', in: ['ios', 'android'] }] },
          { key: 'opened', event: 'Account Opened', failureEvents: ['Account Opening Failed'] },
        ],
      },
    }),
    fields: [
      ['input.name', 'name'],
      ['input.description', 'description'],
      ['input.steps[0].event', 'text'],
      ['input.steps[1].failureEvents[0]', 'text'],
      ['input.steps[0].conditions[0].in[0]', 'json'],
    ],
    snapshot: '{ journeyDefinitions { id name description } }',
  },
  {
    mutation: 'updateFrictionSettings',
    document: 'mutation($input: UpdateFrictionSettingsInput!) { updateFrictionSettings(input: $input) { overrides } }',
    base: () => ({ input: { overrides: { supportBurst: { events: [next('Ticket Opened')], minEvents: 2 } } } }),
    fields: [['input.overrides.supportBurst.events[0]', 'json']],
    snapshot: '{ frictionSettings { overrides } }',
  },
  {
    mutation: 'createAlertRule',
    document: 'mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }',
    base: () => ({ input: { name: next('Churn over 15'), severity: 'HIGH', team: 'retention', trigger: { type: 'RISK_CROSSING', riskKind: 'churn', threshold: 15 } } }),
    fields: [
      ['input.name', 'name'],
      ['input.team', 'team'],
      ['input.trigger.riskKind', 'text'],
    ],
    snapshot: '{ alertRules(includeArchived: true) { id name team } }',
  },
  {
    mutation: 'createPlaybook',
    document: 'mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id } }',
    base: () => ({
      input: {
        name: next('Win back'),
        description: 'Call, then write',
        holdoutFraction: 0,
        steps: [
          { id: 'call', type: 'createTask', team: 'success', title: 'Call {{profile.traits.name}}', priority: 'normal', dueInSeconds: 3600, next: 'mail' },
          { id: 'mail', type: 'send', channel: 'email', subject: 'We miss you', body: 'Hello', html: '<p>Hello</p>', next: null },
        ],
        guardrails: ['Unsubscribed'],
      },
    }),
    fields: [
      ['input.name', 'name'],
      ['input.description', 'description'],
      ['input.steps[0].title', 'json'],
      ['input.steps[1].body', 'json'],
      ['input.steps[1].html', 'html'],
      ['input.guardrails[0]', 'text'],
    ],
    snapshot: '{ playbooks(includeArchived: true) { id name description } }',
  },
  {
    mutation: 'createChannel',
    document: 'mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }',
    base: () => ({ input: { name: next('ops'), kind: 'WEBHOOK', config: { url: 'https://hooks.example.com/foresight', subscribe: ['alert.raised'] }, secret: WEBHOOK_SECRET } }),
    fields: [
      ['input.name', 'name'],
      ['input.secret', 'secret'],
      ['input.config.url', 'json'],
    ],
    snapshot: '{ channels { id name } }',
  },
  {
    mutation: 'setContactPolicy',
    document: 'mutation($input: ContactPolicyInput!) { setContactPolicy(input: $input) { channel } }',
    base: () => ({ input: { channel: next('email'), quietHoursStart: '21:00', quietHoursEnd: '08:00', timezone: 'Europe/London' } }),
    fields: [
      ['input.channel', 'text'],
      ['input.timezone', 'text'],
      ['input.quietHoursStart', 'text'],
    ],
    snapshot: '{ contactPolicies { channel timezone } }',
  },
];

/** A deep copy of `value` with the string at `path` (`input.steps[1].html`) replaced. */
function withString(value: Record<string, unknown>, path: string, text: string): Record<string, unknown> {
  const copy = structuredClone(value);
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let at: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) at = at[key] as Record<string, unknown>;
  at[keys.at(-1)!] = text;
  return copy;
}

describe('mutation string caps (limits.ts) through the gateway', () => {
  let stack: Stack;
  let admin: string;
  const call = (document: string, variables: Record<string, unknown>) => gql(stack.gateway.url, document, variables, bearer(admin));
  const snapshot = async (query: string) => {
    const res = await call(query, {});
    expect(res.errors).toBeUndefined();
    return res.data;
  };

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(TENANT, ['admin']);
  });
  afterAll(() => stack?.stop());

  const rows = CASES.flatMap((c) => c.fields.map(([path, cap]): [string, string, Case, string, InputStringLimitName] => [c.mutation, path, c, path, cap]));

  it.each(rows)('%s refuses an oversized %s with BAD_USER_INPUT naming the field and cap, and stores nothing', async (_m, _p, c, path, cap) => {
    const max = INPUT_STRING_LIMITS[cap];
    const before = await snapshot(c.snapshot);
    const res = await call(c.document, withString(c.base(), path, 'x'.repeat(max + 1)));
    expect(res.status).toBeLessThan(500);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toContain(`${path}: is ${max + 1} characters, over the limit of ${max}`);
    expect((res.errors?.[0]?.extensions as { fields?: unknown } | undefined)?.fields).toEqual([expect.objectContaining({ field: path, maxLength: max })]);
    expect(await snapshot(c.snapshot)).toEqual(before);
  });

  it.each(CASES.map((c): [string, Case] => [c.mutation, c]))('%s stores its base input (so the refusals above are the caps)', async (_m, c) => {
    const before = await snapshot(c.snapshot);
    const res = await call(c.document, c.base());
    expect(res.errors).toBeUndefined();
    expect(await snapshot(c.snapshot)).not.toEqual(before);
  });

  it('accepts a string exactly at its cap (a playbook html part of 100000 characters, a segment name of 200)', async () => {
    const playbook = CASES.find((c) => c.mutation === 'createPlaybook')!;
    const html = await call(playbook.document, withString(playbook.base(), 'input.steps[1].html', `<p>${'x'.repeat(INPUT_STRING_LIMITS.html - 7)}</p>`));
    expect(html.errors).toBeUndefined();
    const segment = CASES.find((c) => c.mutation === 'createSegment')!;
    const name = await call(segment.document, withString(segment.base(), 'input.name', 'n'.repeat(INPUT_STRING_LIMITS.name)));
    expect(name.errors).toBeUndefined();
  });

  it('refuses before looking anything up: an oversized note on an unknown alert is BAD_USER_INPUT, not NOT_FOUND', async () => {
    const id = '00000000-0000-7000-8000-000000000000';
    const resolve = await call('mutation($id: ID!, $note: String) { resolveAlert(id: $id, outcome: SAVED, note: $note) { id } }', { id, note: 'n'.repeat(INPUT_STRING_LIMITS.note + 1) });
    expect(resolve.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(resolve.errors?.[0]?.message).toContain(`note: is ${INPUT_STRING_LIMITS.note + 1} characters`);
    const within = await call('mutation($id: ID!, $note: String) { resolveAlert(id: $id, outcome: SAVED, note: $note) { id } }', { id, note: 'short' });
    expect(within.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('property: any oversized string in any capped field, of any characters, is refused and stores nothing', async () => {
    const tried = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...rows),
        fc.integer({ min: 1, max: 5000 }),
        fc.constantFrom('x', 'é', '😀', '\u0000', ' ', '{{', '"'),
        async ([mutation, , c, path, cap], over, unit) => {
          const max = INPUT_STRING_LIMITS[cap];
          const text = unit.repeat(Math.ceil((max + over) / unit.length)).slice(0, max + over);
          const before = await snapshot(c.snapshot);
          const res = await call(c.document, withString(c.base(), path, text));
          expect(res.status).toBeLessThan(500);
          expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
          expect(res.errors?.[0]?.message).toContain(`${path}: is ${text.length} characters, over the limit of ${max}`);
          expect(await snapshot(c.snapshot)).toEqual(before);
          tried.set(mutation, (tried.get(mutation) ?? 0) + 1);
        },
      ),
      { seed: SEED, numRuns: 40 },
    );
    expect([...tried.values()].reduce((a, b) => a + b, 0)).toBe(40);
  });
});
