import { Writable } from 'node:stream';

import { GraphQLError } from 'graphql';

import { ApiKey } from '../../../gateway/keys/api-key.entity';
import { GATEWAY_ORM } from '../../../gateway/keys/key-store';
import { createLogger } from '../../../subgraphs/common/logger';
import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import { safeErrorMessage } from '../../../subgraphs/common/safe-error';
import { formatError } from '../../../subgraphs/common/serve-subgraph';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const PII = 'ada.lovelace@example.com';

/** A logger writing into an array of parsed lines. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text.push(chunk.toString());
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('test', 'info', stream), lines, text };
}

describe('driver errors with inlined values (real database)', () => {
  let env: TestEnv;
  let orm: Orm;
  let driverError: Error;

  beforeAll(async () => {
    env = await createTestEnv();
    orm = await initOrm(env.config, GATEWAY_ORM);
    const insert = (id: string) =>
      orm.em.fork().insert(ApiKey, { id, tenantId: 'acme', hash: 'h1', prefix: 'fsk_x', scopes: [], label: PII, createdAt: new Date() });
    await insert('00000000-0000-7000-8000-000000000001');
    // the same hash again: a unique violation whose message carries the statement, values inlined
    driverError = await insert('00000000-0000-7000-8000-000000000002').then(
      () => new Error('expected a unique violation'),
      (err: Error) => err,
    );
  });
  afterAll(async () => {
    await orm?.close(true);
    await env?.cleanup();
  });

  it('carries the values in the raw message (what this guards against)', () => {
    expect(driverError.message).toContain(PII);
  });

  it('keeps only the driver’s reason in the safe message', () => {
    const safe = safeErrorMessage(driverError);
    expect(safe).not.toContain(PII);
    expect(safe).toMatch(/^database error/);
    expect(safe).toMatch(/unique|UNIQUE|duplicate/);
  });

  it('answers the client with a fixed message and the request id, and logs it without the values', () => {
    const { log, lines, text } = capturingLogger();
    const wrapped = new GraphQLError(driverError.message, { originalError: driverError, path: ['createThing'] });
    const answer = formatError(wrapped.toJSON(), wrapped, log, 'req-42');
    expect(answer).toEqual({ message: 'Internal server error (request id req-42)', path: ['createThing'], extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-42' } });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ requestId: 'req-42', msg: 'unexpected error in resolver', err: { message: expect.stringMatching(/^database error/) } });
    expect(text.join('')).not.toContain(PII);
  });
});

describe('createLogger redaction', () => {
  it.each([
    ['traits', { profile: { traits: { email: PII } } }],
    ['event properties', { event: { properties: { card: PII } } }],
    ['query parameters', { query: { sql: 'select 1', params: [PII] } }],
    ['an authorization header', { req: { headers: { authorization: `Bearer ${PII}` } } }],
    ['the signed context header', { req: { headers: { 'x-foresight-context': PII } } }],
  ])('censors %s', (_name, fields) => {
    const { log, text } = capturingLogger();
    log.info(fields, 'something happened');
    expect(text.join('')).not.toContain(PII);
    expect(text.join('')).toContain('[redacted]');
  });

  it('keeps the fields that are not sensitive', () => {
    const { log, lines } = capturingLogger();
    log.info({ tenantId: 'acme', profileId: 'p1', jobId: 'j1' }, 'friction signal recorded');
    expect(lines[0]).toMatchObject({ tenantId: 'acme', profileId: 'p1', jobId: 'j1' });
  });
});
