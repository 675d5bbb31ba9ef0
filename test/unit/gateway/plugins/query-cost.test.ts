import { buildSchema, parse } from 'graphql';

import { operationCost } from '../../../../gateway/plugins/query-cost';

const schema = buildSchema(/* GraphQL */ `
  type Query {
    profile(id: ID!): Profile
    profiles(first: Int! = 50, after: String): ProfileConnection!
    alerts(first: Int! = 50): [Alert!]!
    segments: [Segment!]!
    search(first: Int): [Alert!]!
  }
  type ProfileConnection { edges: [ProfileEdge!]! }
  type ProfileEdge { cursor: String! node: Profile! }
  type Profile {
    id: ID!
    traits: String
    journeys(first: Int! = 20): [Journey!]!
    identities: [Identity!]!
    alerts(last: Int! = 20): [Alert!]!
  }
  type Journey { id: ID! }
  type Identity { type: String! value: String! }
  type Alert { id: ID! status: String }
  type Segment { id: ID! }
`);

const cost = (query: string, variables: Record<string, unknown> = {}, operationName?: string) =>
  operationCost(schema, parse(query), operationName, variables, { unpagedListSize: 10 });

describe('operationCost', () => {
  it('counts a page size passed as a variable exactly as the same literal', () => {
    const literal = cost('{ alerts(first: 400) { id status } }');
    expect(cost('query($n: Int!) { alerts(first: $n) { id status } }', { n: 400 })).toBe(literal);
    // (the field + two leaves) × 400 items
    expect(literal).toBe(3 * 400);
  });

  it('counts the schema default when no page size is given, and unpagedListSize for a null one', () => {
    expect(cost('{ alerts { id } }')).toBe(cost('{ alerts(first: 50) { id } }'));
    expect(cost('query($n: Int) { search(first: $n) { id } }', {})).toBe(cost('{ search(first: 10) { id } }'));
  });

  it('multiplies nested lists, also through variables and fragments', () => {
    const query = `query($p: Int!, $j: Int!) { profiles(first: $p) { edges { node { ...J } } } }
      fragment J on Profile { journeys(first: $j) { id } }`;
    // profiles × (profiles + edges + node + journeys × (journeys + id))
    const expected = (p: number, j: number) => p * (1 + 1 + 1 + j * 2);
    expect(cost(query, { p: 1, j: 1 })).toBe(expected(1, 1));
    expect(cost(query, { p: 200, j: 500 })).toBe(expected(200, 500));
  });

  it('counts a list without first/last as unpagedListSize items, but not a connection’s edges twice', () => {
    expect(cost('{ segments { id } }')).toBe(2 * 10);
    expect(cost('{ profiles(first: 1) { edges { node { id } } } }')).toBe(4);
    expect(cost('{ profile(id: "x") { identities { type value } } }')).toBe(1 + 3 * 10);
  });

  it('reads `last` like `first`', () => {
    expect(cost('query($n: Int!) { profile(id: "x") { alerts(last: $n) { id } } }', { n: 300 })).toBe(1 + 2 * 300);
  });

  it('prices the named operation of a document with several', () => {
    const doc = 'query A { alerts(first: 1) { id } } query B { alerts(first: 100) { id } }';
    expect(cost(doc, {}, 'B')).toBe(100 * cost(doc, {}, 'A'));
  });

  it('adds nothing for introspection and unknown fields, and never throws on unusable variables', () => {
    expect(cost('{ __schema { types { name } } }')).toBe(0);
    expect(cost('{ nope { id } }')).toBe(0);
    expect(() => cost('query($n: Int!) { alerts(first: $n) { id } }', { n: 'many' })).not.toThrow();
  });
});
