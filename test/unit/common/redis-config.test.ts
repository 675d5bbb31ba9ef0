import { loadConfig } from '../../../subgraphs/common/config';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from '../../../subgraphs/common/redis';

const env = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(32) };

describe('loadConfig (REDIS_COMMAND_TIMEOUT_MS)', () => {
  it('bounds producer commands at 15 s by default, safe for a loaded process', () => {
    expect(DEFAULT_REDIS_COMMAND_TIMEOUT_MS).toBe(15_000);
    expect(loadConfig(env).redisCommandTimeoutMs).toBe(15_000);
  });

  it('takes a configured deadline and refuses one that is not positive', () => {
    expect(loadConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '400' }).redisCommandTimeoutMs).toBe(400);
    expect(() => loadConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '0' })).toThrow('REDIS_COMMAND_TIMEOUT_MS: must be a positive number');
  });
});
