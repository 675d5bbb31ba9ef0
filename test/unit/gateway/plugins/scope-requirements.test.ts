import { buildSchema, parse } from 'graphql';

import {
  requirementsOf,
  satisfies,
  scopeRequirementsFromSupergraph,
  type ScopeRequirement,
} from '../../../../gateway/plugins/scope-requirements';

const SDL = /* GraphQL */ `
  directive @requiresScopes(scopes: [[String!]!]!) on FIELD_DEFINITION
  directive @join__field(graph: String) on FIELD_DEFINITION

  type Query {
    profile(id: ID!): Profile @join__field(graph: "PROFILES") @requiresScopes(scopes: [["profiles:read"]])
    health: String
  }

  type Profile {
    id: ID!
    name: String
    risk: RiskScore @requiresScopes(scopes: [["risk:read", "profiles:read"], ["admin"]])
    signals: [Signal!]!
  }

  type RiskScore {
    score: Float!
    bucket: String!
  }

  type Signal {
    kind: String!
  }

  type Mutation {
    acknowledgeAlert(id: ID!): Boolean @requiresScopes(scopes: [["actions:write"]])
  }

  type Subscription {
    riskChanged: RiskScore @requiresScopes(scopes: [["risk:subscribe"]])
  }

  extend type Query {
    alerts: [String!]! @requiresScopes(scopes: [["profiles:read"]])
  }
`;

describe('scopeRequirementsFromSupergraph', () => {
  const map = scopeRequirementsFromSupergraph(SDL);

  it.each<[string, ScopeRequirement]>([
    ['Query.profile', [['profiles:read']]],
    ['Profile.risk', [['risk:read', 'profiles:read'], ['admin']]],
    ['Mutation.acknowledgeAlert', [['actions:write']]],
    ['Subscription.riskChanged', [['risk:subscribe']]],
    ['Query.alerts', [['profiles:read']]],
  ])('reads the requirement of %s', (field, requirement) => {
    expect(map.get(field)).toEqual(requirement);
  });

  it('holds only the fields that carry the directive', () => {
    expect([...map.keys()].sort()).toEqual(
      ['Mutation.acknowledgeAlert', 'Profile.risk', 'Query.alerts', 'Query.profile', 'Subscription.riskChanged'].sort(),
    );
  });

  it('returns an empty map when no field carries the directive', () => {
    expect(scopeRequirementsFromSupergraph('type Query { health: String }').size).toBe(0);
  });

  it('throws on SDL that does not parse', () => {
    expect(() => scopeRequirementsFromSupergraph('type Query {')).toThrow();
  });
});

describe('requirementsOf', () => {
  const schema = buildSchema(SDL);
  const map = scopeRequirementsFromSupergraph(SDL);
  const fieldsOf = (operation: string): string[] =>
    requirementsOf(parse(operation), schema, map)
      .map((r) => r.field)
      .sort();

  it.each<[string, string, string[]]>([
    ['finds a root field', '{ profile(id: "1") { id } }', ['Query.profile']],
    ['finds a nested field', '{ profile(id: "1") { risk { score } } }', ['Profile.risk', 'Query.profile']],
    ['finds an aliased field', '{ p: profile(id: "1") { r: risk { score } } }', ['Profile.risk', 'Query.profile']],
    ['ignores unprotected fields', '{ health }', []],
    ['ignores unprotected nested fields', '{ profile(id: "1") { id name signals { kind } } }', ['Query.profile']],
    [
      'finds a field reached through a named fragment',
      'query { profile(id: "1") { ...P } } fragment P on Profile { id risk { bucket } }',
      ['Profile.risk', 'Query.profile'],
    ],
    [
      'finds a field reached through a fragment on the root type',
      'query { ...Q } fragment Q on Query { alerts }',
      ['Query.alerts'],
    ],
    [
      'finds a field reached through an inline fragment',
      '{ profile(id: "1") { ... on Profile { risk { score } } } }',
      ['Profile.risk', 'Query.profile'],
    ],
    [
      'finds a field reached through an untyped inline fragment',
      '{ health ... @include(if: true) { alerts } }',
      ['Query.alerts'],
    ],
    [
      'finds a field reached through nested fragments',
      'query { ...Q } fragment Q on Query { profile(id: "1") { ...P } } fragment P on Profile { ... on Profile { risk { score } } }',
      ['Profile.risk', 'Query.profile'],
    ],
    ['finds a mutation field', 'mutation { acknowledgeAlert(id: "a") }', ['Mutation.acknowledgeAlert']],
    ['finds a subscription field', 'subscription { riskChanged { score } }', ['Subscription.riskChanged']],
    [
      'does not confuse a same-named field on another type',
      'subscription { riskChanged { score bucket } }',
      ['Subscription.riskChanged'],
    ],
    [
      'collects every operation of the document',
      'query A { health } query B { alerts } mutation C { acknowledgeAlert(id: "a") }',
      ['Mutation.acknowledgeAlert', 'Query.alerts'],
    ],
  ])('%s', (_name, operation, fields) => {
    expect(fieldsOf(operation)).toEqual(fields);
  });

  it('reports each field once with its requirement, however often it is selected', () => {
    const found = requirementsOf(
      parse('{ a: profile(id: "1") { risk { score } } b: profile(id: "2") { risk { bucket } ...P } } fragment P on Profile { risk { score } }'),
      schema,
      map,
    );
    expect(found).toHaveLength(2);
    expect(found).toEqual(
      expect.arrayContaining([
        { field: 'Query.profile', requirement: [['profiles:read']] },
        { field: 'Profile.risk', requirement: [['risk:read', 'profiles:read'], ['admin']] },
      ]),
    );
  });

  it('skips fields the schema does not know', () => {
    expect(fieldsOf('{ nope { risk } }')).toEqual([]);
  });

  it('finds nothing when the requirement map is empty', () => {
    expect(requirementsOf(parse('{ profile(id: "1") { risk { score } } }'), schema, new Map())).toEqual([]);
  });
});

describe('satisfies', () => {
  const riskOrAdmin: ScopeRequirement = [['risk:read', 'profiles:read'], ['admin']];

  it.each<[string, string[], ScopeRequirement, boolean]>([
    ['passes a single granted scope', ['profiles:read'], [['profiles:read']], true],
    ['fails a single missing scope', ['risk:read'], [['profiles:read']], false],
    ['passes when every scope of an inner list is granted', ['profiles:read', 'risk:read'], riskOrAdmin, true],
    ['fails when only part of an inner list is granted', ['risk:read'], riskOrAdmin, false],
    ['passes on the other alternative', ['events:write', 'actions:write'], [['risk:read'], ['actions:write']], true],
    ['fails when no alternative is met', ['events:write'], [['risk:read'], ['actions:write']], false],
    ['lets admin satisfy any requirement', ['admin'], [['risk:read', 'actions:write']], true],
    ['lets admin satisfy an admin alternative', ['admin'], riskOrAdmin, true],
    ['fails everything with no scopes', [], riskOrAdmin, false],
    ['passes an empty inner list (an alternative needing nothing)', [], [[]], true],
    ['fails a requirement without alternatives', ['admin'], [], false],
  ])('%s', (_name, granted, requirement, expected) => {
    expect(satisfies(granted, requirement)).toBe(expected);
  });
});
