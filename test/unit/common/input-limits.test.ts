import { buildSchema, GraphQLScalarType, graphql, type GraphQLSchema } from 'graphql';

import { loadConfig } from '../../../subgraphs/common/config';
import { guardMutationInputs, oversizedStrings } from '../../../subgraphs/common/input-limits';
import { INPUT_STRING_LIMITS } from '../../../subgraphs/common/limits';

const SDL = /* GraphQL */ `
  scalar JSONObject
  enum Kind { A B }
  input StepInput { name: String, event: String, steps: [JSONObject!], kind: Kind, count: Int }
  type Query { ok: Boolean }
  type Mutation {
    save(input: StepInput!, id: ID, note: String): Boolean
    ingestEvents(name: String): Boolean
  }
`;

function schema(): GraphQLSchema {
  const s = buildSchema(SDL);
  const json = s.getType('JSONObject') as GraphQLScalarType;
  json.parseValue = (v) => v;
  const mutation = s.getMutationType()!.getFields();
  mutation.save.resolve = () => true;
  mutation.ingestEvents.resolve = () => true;
  return s;
}

const L = INPUT_STRING_LIMITS;
const args = schema().getMutationType()!.getFields().save.args;
const over = (n: number) => 'x'.repeat(n + 1);

describe('oversizedStrings', () => {
  it.each<[string, Record<string, unknown>, { field: string; maxLength: number }[]]>([
    ['accepts strings at their caps', { input: { name: 'n'.repeat(L.name), event: 'e'.repeat(L.text) }, note: 'n'.repeat(L.note) }, []],
    ['caps a typed field by its name', { input: { name: over(L.name) } }, [{ field: 'input.name', maxLength: L.name }]],
    ['caps a typed argument by its name', { input: {}, note: over(L.note) }, [{ field: 'note', maxLength: L.note }]],
    ['caps an unlisted typed field at text', { input: { event: over(L.text) } }, [{ field: 'input.event', maxLength: L.text }]],
    ['caps an ID at text', { input: {}, id: over(L.text) }, [{ field: 'id', maxLength: L.text }]],
    ['caps a string inside JSON at json, whatever its key', { input: { steps: [{ name: over(L.json) }] } }, [{ field: 'input.steps[0].name', maxLength: L.json }]],
    ['lets a JSON name be longer than a typed name', { input: { steps: [{ name: 'n'.repeat(L.name + 1) }] } }, []],
    ['gives html inside JSON its own cap', { input: { steps: [{ html: 'h'.repeat(L.json + 1) }] } }, []],
    ['caps html inside JSON at html', { input: { steps: [{ html: over(L.html) }] } }, [{ field: 'input.steps[0].html', maxLength: L.html }]],
    ['walks JSON arrays, naming the index', { input: { steps: [{}, { data: { to: ['a', over(L.json)] } }] } }, [{ field: 'input.steps[1].data.to[1]', maxLength: L.json }]],
    ['caps a JSON key', { input: { steps: [{ [over(L.json)]: 1 }] } }, [{ field: 'input.steps[0] (a key)', maxLength: L.json }]],
    ['walks a JSON object without a prototype', { input: { steps: [Object.assign(Object.create(null) as object, { a: over(L.json) })] } }, [{ field: 'input.steps[0].a', maxLength: L.json }]],
    ['ignores enums and numbers', { input: { kind: 'A', count: 5 } }, []],
  ])('%s', (_case, values, expected) => {
    expect(oversizedStrings(args, values, L).map(({ field, maxLength }) => ({ field, maxLength }))).toEqual(expected);
  });

  it('reports every oversized string, up to 20', () => {
    const steps = Array.from({ length: 30 }, () => ({ body: over(L.json) }));
    expect(oversizedStrings(args, { input: { name: over(L.name), steps } }, L)).toHaveLength(20);
  });

  it('walks JSON nested 100000 deep without overflowing the stack', () => {
    let deep: unknown = over(L.json);
    for (let i = 0; i < 100_000; i += 1) deep = { a: deep };
    expect(oversizedStrings(args, { input: { steps: [deep] } }, L)).toHaveLength(1);
  });

  it('uses the limits it is given', () => {
    expect(oversizedStrings(args, { input: { name: 'n'.repeat(11) } }, { ...L, name: 10 })).toEqual([{ field: 'input.name', length: 11, maxLength: 10 }]);
  });
});

describe('guardMutationInputs', () => {
  const guarded = guardMutationInputs(schema(), L);

  it('refuses an oversized string with BAD_USER_INPUT before the resolver runs', async () => {
    const res = await graphql({ schema: guarded, source: 'mutation($n: String) { save(input: { name: $n }) }', variableValues: { n: over(L.name) } });
    expect(res.data?.save ?? null).toBeNull();
    expect(res.errors?.[0]?.message).toBe(`input.name: is ${L.name + 1} characters, over the limit of ${L.name}`);
    expect(res.errors?.[0]?.originalError).toMatchObject({ code: 'BAD_USER_INPUT', details: { fields: [{ field: 'input.name', maxLength: L.name }] } });
  });

  it('lets a mutation within the caps through', async () => {
    const res = await graphql({ schema: guarded, source: 'mutation { save(input: { name: "ok" }) }' });
    expect(res).toEqual({ data: { save: true } });
  });

  it('leaves ingestEvents to its per-event validation', async () => {
    const res = await graphql({ schema: guarded, source: 'mutation($n: String) { ingestEvents(name: $n) }', variableValues: { n: over(L.text) } });
    expect(res).toEqual({ data: { ingestEvents: true } });
  });
});

describe('loadConfig: INPUT_STRING_LIMITS', () => {
  const base = { DATA_DIR: '/tmp/foresight-config-test', FORESIGHT_SECRET: 'x'.repeat(40) };

  it('uses the limits.ts table by default', () => {
    expect(loadConfig(base).limits.inputStrings).toEqual(INPUT_STRING_LIMITS);
  });

  it('merges overrides over the table', () => {
    expect(loadConfig({ ...base, INPUT_STRING_LIMITS: '{"html": 200000, "text": 500}' }).limits.inputStrings).toEqual({ ...INPUT_STRING_LIMITS, html: 200_000, text: 500 });
  });

  it.each([
    ['not JSON', 'html=5', /INPUT_STRING_LIMITS: must be a JSON object/],
    ['an unknown entry', '{"bio": 10}', /INPUT_STRING_LIMITS: unknown entry bio/],
    ['a cap that is not a positive whole number', '{"name": 0.5}', /INPUT_STRING_LIMITS: name must be a positive whole number/],
  ])('refuses %s, naming it', (_case, raw, message) => {
    expect(() => loadConfig({ ...base, INPUT_STRING_LIMITS: raw })).toThrow(message);
  });
});
