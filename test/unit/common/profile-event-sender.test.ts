import { eventIdentityOf, type ProfileIdentity } from '../../../subgraphs/common/profile-event-sender';

const id = (type: ProfileIdentity['type'], value: string): ProfileIdentity => ({ type, value });

describe('eventIdentityOf', () => {
  it.each([
    ['prefers the user id', [id('EMAIL', 'ada@example.com'), id('ANONYMOUS_ID', 'anon-1'), id('USER_ID', 'u-1')], { userId: 'u-1' }],
    ['else the anonymous id', [id('EMAIL', 'ada@example.com'), id('ANONYMOUS_ID', 'anon-1')], { anonymousId: 'anon-1' }],
    ['else claims the email with the stable anonymous id', [id('PHONE', '+441234'), id('EMAIL', 'ada@example.com')], { anonymousId: 'foresight-profile-p1', context: { traits: { email: 'ada@example.com' } } }],
    ['else the phone', [id('PHONE', '+441234')], { anonymousId: 'foresight-profile-p1', context: { traits: { phone: '+441234' } } }],
    ['else an external id, split at its first colon', [id('EXTERNAL', 'crm:42:a')], { anonymousId: 'foresight-profile-p1', context: { externalIds: [{ type: 'crm', id: '42:a' }] } }],
    ['nothing without an identity', [], null],
    ['nothing for an external id without a type', [id('EXTERNAL', 'x')], null],
  ])('%s', (_name, identities, expected) => {
    expect(eventIdentityOf(identities, 'p1')).toEqual(expected);
  });
});
