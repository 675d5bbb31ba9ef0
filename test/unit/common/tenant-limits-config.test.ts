import { loadConfig } from '../../../subgraphs/common/config';

const base = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/foresight-config-test' };

describe('loadConfig: per-tenant ingestion limits', () => {
  it('defaults every tenant to the platform-wide limits', () => {
    const { ingest } = loadConfig(base);
    expect(ingest).toMatchObject({ tenantRatePerSecond: 10_000, tenantMaxBacklog: 2_000, tenantMaxInFlight: 10_000, tenantLimits: {} });
  });

  it('reads the default lag share from INGEST_TENANT_MAX_IN_FLIGHT and a tenant’s own from INGEST_TENANT_LIMITS', () => {
    const { ingest } = loadConfig({ ...base, INGEST_TENANT_MAX_IN_FLIGHT: '500', INGEST_TENANT_LIMITS: '{"acme": {"maxInFlight": 50000}}' });
    expect(ingest.tenantMaxInFlight).toBe(500);
    expect(ingest.tenantLimits).toEqual({ acme: { maxInFlight: 50000 } });
  });

  it('reads per-tenant overrides from INGEST_TENANT_LIMITS', () => {
    const { ingest } = loadConfig({ ...base, INGEST_TENANT_LIMITS: '{"acme": {"ratePerSecond": 20000, "maxBacklog": 5000}, "beta": {"maxBacklog": 10}}' });
    expect(ingest.tenantLimits).toEqual({ acme: { ratePerSecond: 20000, maxBacklog: 5000 }, beta: { maxBacklog: 10 } });
  });

  it.each([
    ['not JSON', '{acme', /must be a JSON object/],
    ['an array', '[1]', /JSON object of tenant → limits/],
    ['a non-object entry', '{"acme": 5}', /acme must map to/],
    ['a negative limit', '{"acme": {"maxBacklog": -1}}', /acme.maxBacklog must be a positive number/],
    ['a zero lag share', '{"acme": {"maxInFlight": 0}}', /acme.maxInFlight must be a positive number/],
    ['an unknown key', '{"acme": {"burst": 3}}', /acme has unknown keys burst/],
  ])('refuses %s, naming the problem', (_name, raw, message) => {
    expect(() => loadConfig({ ...base, INGEST_TENANT_LIMITS: raw })).toThrow(message);
  });
});
