import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import { meterFinishedJobs, meterKey, METER_BUCKET_TTL_SECONDS, readStageRates } from '../../../subgraphs/common/stage-meter';

describe('meterFinishedJobs (event counts) and readStageRates (real Redis)', () => {
  const prefix = `fs-test-meter-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const T0 = 1_800_000_000_000; // a fixed clock: buckets are whole seconds of it
  const written = new Set<string>();
  const meter = async (stage: 'resolve' | 'risk', tenantId: string, count: number, now: number) => {
    await meterFinishedJobs(redis, prefix, stage, [{ tenantId, events: count, waitMs: null, runMs: null }], now);
    const second = Math.floor(now / 1000);
    written.add(meterKey(prefix, stage, null, second)).add(meterKey(prefix, stage, tenantId, second));
  };

  afterAll(async () => {
    if (written.size > 0) await redis.del(...written);
    await redis.quit();
  });

  it('sums the last 60 one-second buckets per stage and per tenant, over 60 s', async () => {
    await meter('risk', 'acme', 300, T0);
    await meter('risk', 'acme', 100, T0 + 1500);
    await meter('risk', 'beta', 200, T0 + 59_000);
    await meter('resolve', 'acme', 60, T0 + 30_000);
    const at = T0 + 59_500;
    const [risk, riskAcme, riskBeta, resolve, resolveBeta] = await readStageRates(
      redis,
      prefix,
      [
        { stage: 'risk', tenantId: null },
        { stage: 'risk', tenantId: 'acme' },
        { stage: 'risk', tenantId: 'beta' },
        { stage: 'resolve', tenantId: null },
        { stage: 'resolve', tenantId: 'beta' },
      ],
      at,
    );
    expect(risk).toBeCloseTo(600 / 60, 10);
    expect(riskAcme).toBeCloseTo(400 / 60, 10);
    expect(riskBeta).toBeCloseTo(200 / 60, 10);
    expect(resolve).toBeCloseTo(1, 10);
    expect(resolveBeta).toBe(0);
  });

  it('leaves out buckets older than the window', async () => {
    const [risk] = await readStageRates(redis, prefix, [{ stage: 'risk', tenantId: null }], T0 + 61_000);
    // the bucket of T0 (300) and of T0+1.5 s (100) have left the window; T0+59 s (200) is in it
    expect(risk).toBeCloseTo(200 / 60, 10);
  });

  it('gives every bucket a TTL of two minutes, the stage’s and the tenant’s alike', async () => {
    const now = Date.now();
    await meter('resolve', 'ttl', 1, now);
    const second = Math.floor(now / 1000);
    for (const key of [meterKey(prefix, 'resolve', null, second), meterKey(prefix, 'resolve', 'ttl', second)]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(METER_BUCKET_TTL_SECONDS - 5);
      expect(ttl).toBeLessThanOrEqual(METER_BUCKET_TTL_SECONDS);
    }
  });

  it('writes nothing for an empty batch', async () => {
    await meterFinishedJobs(redis, prefix, 'risk', [{ tenantId: 'none', events: 0, waitMs: null, runMs: null }], T0 + 200_000);
    expect(await redis.exists(meterKey(prefix, 'risk', null, Math.floor((T0 + 200_000) / 1000)))).toBe(0);
  });
});
