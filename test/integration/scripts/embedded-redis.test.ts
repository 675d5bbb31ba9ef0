import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { answersPing, ensureLocalRedis, findOnPath, NO_REDIS_SERVER, RedisUnavailableError, startRedisServer } from '../../../scripts/embedded-redis';
import { freePort } from '../../fixtures/stack';

describe('startRedisServer', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'foresight-redis-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts redis-server from PATH on a free port, serves commands, and stops it', async () => {
    const port = await freePort();
    const local = await startRedisServer({ dataDir, port });
    expect(local).toMatchObject({ url: `redis://127.0.0.1:${port}`, embedded: true });
    const client = new Redis(local.url);
    await client.set('demo', 'yes');
    expect(await client.get('demo')).toBe('yes');
    expect(await client.config('GET', 'dir')).toEqual(['dir', join(dataDir, 'redis')]);
    client.disconnect();
    await local.stop();
    expect(await answersPing(port)).toBe(false);
  });

  it('takes another port when the one asked for is busy', async () => {
    const first = await startRedisServer({ dataDir, port: await freePort() });
    const busy = Number(new URL(first.url).port);
    const second = await startRedisServer({ dataDir, port: busy });
    expect(Number(new URL(second.url).port)).not.toBe(busy);
    expect(await answersPing(Number(new URL(second.url).port))).toBe(true);
    await second.stop();
    await first.stop();
  });

  it('explains in one line what to do when there is no redis-server on PATH', async () => {
    const start = startRedisServer({ dataDir, path: dataDir });
    await expect(start).rejects.toBeInstanceOf(RedisUnavailableError);
    await expect(start).rejects.toThrow(NO_REDIS_SERVER);
    expect(NO_REDIS_SERVER).not.toContain('\n');
    expect(NO_REDIS_SERVER).toContain('docker compose up redis');
  });
});

describe('ensureLocalRedis', () => {
  it('uses REDIS_URL as given and starts nothing', async () => {
    const local = await ensureLocalRedis({ REDIS_URL: 'redis://example.invalid:1234' }, { dataDir: tmpdir(), path: '' });
    expect(local).toMatchObject({ url: 'redis://example.invalid:1234', embedded: false });
  });
});

describe('findOnPath', () => {
  it('finds an executable on PATH and returns null for an unknown name', () => {
    expect(findOnPath('redis-server', process.env.PATH ?? '')).toMatch(/redis-server$/);
    expect(findOnPath('no-such-binary-here', process.env.PATH ?? '')).toBeNull();
  });
});
