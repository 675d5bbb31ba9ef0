import { loadConfig } from '../../../subgraphs/common/config';

const base = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/foresight-config-test' };

describe('loadConfig: email tracking', () => {
  it('defaults PUBLIC_URL to the gateway on this host, and the token lifetime to a year', () => {
    const config = loadConfig({ ...base, HOST: '0.0.0.0', GATEWAY_PORT: '4100' });
    expect(config.publicUrl).toBe('http://127.0.0.1:4100');
    expect(config.channels.trackingTokenTtlSeconds).toBe(365 * 86_400);
  });

  it('takes PUBLIC_URL without its trailing slash', () => {
    expect(loadConfig({ ...base, PUBLIC_URL: 'https://cx.example.com/' }).publicUrl).toBe('https://cx.example.com');
  });

  it.each(['cx.example.com', 'ftp://cx.example.com', 'javascript:alert(1)'])('refuses PUBLIC_URL %p, naming it', (value) => {
    expect(() => loadConfig({ ...base, PUBLIC_URL: value })).toThrow(/PUBLIC_URL: must be an http\(s\) URL/);
  });

  it('refuses a token lifetime that is not positive', () => {
    expect(() => loadConfig({ ...base, TRACKING_TOKEN_TTL_SECONDS: '0' })).toThrow(/TRACKING_TOKEN_TTL_SECONDS/);
  });

  it('limits the tracking routes to 600 requests per address per minute unless told otherwise', () => {
    expect(loadConfig(base).trackingRequestsPerMinute).toBe(600);
    expect(loadConfig({ ...base, TRACKING_REQUESTS_PER_MINUTE: '30' }).trackingRequestsPerMinute).toBe(30);
  });

  it.each(['0', '-5', '2.5'])('refuses a tracking rate limit of %p, naming it', (value) => {
    expect(() => loadConfig({ ...base, TRACKING_REQUESTS_PER_MINUTE: value })).toThrow(/TRACKING_REQUESTS_PER_MINUTE: must be/);
  });

  it('limits the delivery-status callbacks to 6,000 requests per address per minute unless told otherwise', () => {
    expect(loadConfig(base).callbackRequestsPerMinute).toBe(6000);
    expect(loadConfig({ ...base, CALLBACK_REQUESTS_PER_MINUTE: '120' }).callbackRequestsPerMinute).toBe(120);
  });

  it.each(['0', '-5', '2.5'])('refuses a callback rate limit of %p, naming it', (value) => {
    expect(() => loadConfig({ ...base, CALLBACK_REQUESTS_PER_MINUTE: value })).toThrow(/CALLBACK_REQUESTS_PER_MINUTE: must be/);
  });
});
