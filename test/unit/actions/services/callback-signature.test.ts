import { Webhook } from 'standardwebhooks';

import { signCallback, verifyCallback } from '../../../../subgraphs/actions/services/channels/callback-signature';

const SECRET = 'whsec_' + Buffer.from('a provider signing secret of 32 bytes!').toString('base64');
const NOW = new Date('2026-03-10T08:00:00Z');
const BODY = '{"messageId":"SM1","status":"delivered"}';

describe('verifyCallback', () => {
  it('accepts a callback signed by the standardwebhooks library (an independent implementation of the spec)', () => {
    const signature = new Webhook(SECRET).sign('evt-1', NOW, BODY);
    const headers = { 'webhook-id': 'evt-1', 'webhook-timestamp': String(NOW.getTime() / 1000), 'webhook-signature': signature };
    expect(verifyCallback(headers, BODY, [SECRET], NOW)).toBe(true);
  });

  it('signs what the standardwebhooks library verifies', () => {
    const headers = signCallback(SECRET, 'evt-2', BODY, NOW);
    // the library checks the timestamp against the real clock: sign at the real now
    const live = signCallback(SECRET, 'evt-2', BODY, new Date());
    expect(() => new Webhook(SECRET).verify(BODY, { ...live })).not.toThrow();
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('accepts any of several secrets (a rotation) and any of several signatures', () => {
    const other = 'whsec_' + Buffer.from('the next secret, also 32 bytes!!').toString('base64');
    const headers = signCallback(other, 'evt-3', BODY, NOW);
    expect(verifyCallback(headers, BODY, [SECRET, other], NOW)).toBe(true);
    expect(verifyCallback({ ...headers, 'webhook-signature': `v1,AAAA ${headers['webhook-signature']}` }, BODY, [other], NOW)).toBe(true);
  });

  it('uses a secret without the whsec_ prefix as its UTF-8 bytes (an SMS auth token)', () => {
    const headers = signCallback('twilio-auth-token', 'evt-4', BODY, NOW);
    expect(verifyCallback(headers, BODY, ['twilio-auth-token'], NOW)).toBe(true);
    expect(verifyCallback(headers, BODY, ['another-token'], NOW)).toBe(false);
  });

  it.each([
    ['another secret', (h: Record<string, string>) => h, BODY, ['whsec_' + Buffer.from('x'.repeat(32)).toString('base64')], NOW],
    ['a changed body', (h: Record<string, string>) => h, BODY.replace('delivered', 'bounced'), [SECRET], NOW],
    ['a changed id', (h: Record<string, string>) => ({ ...h, 'webhook-id': 'evt-9' }), BODY, [SECRET], NOW],
    ['a timestamp over 5 minutes old', (h: Record<string, string>) => h, BODY, [SECRET], new Date(NOW.getTime() + 301_000)],
    ['a timestamp from the future', (h: Record<string, string>) => h, BODY, [SECRET], new Date(NOW.getTime() - 301_000)],
    ['no signature', (h: Record<string, string>) => ({ ...h, 'webhook-signature': '' }), BODY, [SECRET], NOW],
    ['a signature of another version', (h: Record<string, string>) => ({ ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }), BODY, [SECRET], NOW],
    ['no secrets', (h: Record<string, string>) => h, BODY, [], NOW],
  ])('refuses %s', (_name, change, body, secrets, now) => {
    const headers = change({ ...signCallback(SECRET, 'evt-5', BODY, NOW) });
    expect(verifyCallback(headers, body, secrets, now)).toBe(false);
  });
});
