import { validateChannel, validateChannelSecret } from '../../../../subgraphs/actions/domain/validate-channel';

const SECRET = `whsec_${Buffer.alloc(32, 3).toString('base64')}`;
const fieldsOf = (r: { problems: { field: string }[] }) => r.problems.map((p) => p.field);

describe('validateChannel', () => {
  it('normalises a webhook', () => {
    const { channel, problems } = validateChannel({ name: 'ops', kind: 'webhook', config: { url: 'https://x.example.com/h', allowedHosts: ['Hooks.Local'] }, secret: SECRET }, { secretRequired: true });
    expect(problems).toEqual([]);
    expect(channel).toEqual({ name: 'ops', kind: 'webhook', config: { url: 'https://x.example.com/h', subscribe: [], allowedHosts: ['hooks.local'] }, secret: SECRET });
  });

  it.each([
    ['a name with spaces', { name: 'a b', kind: 'webhook', config: { url: 'https://x.example.com' }, secret: SECRET }, ['name']],
    ['an unknown kind', { name: 'a', kind: 'fax', config: {}, secret: 'x' }, ['kind']],
    ['a non-http url', { name: 'a', kind: 'webhook', config: { url: 'file:///etc/passwd' }, secret: SECRET }, ['config.url']],
    ['credentials in the url', { name: 'a', kind: 'push', config: { url: 'https://u:p@x.example.com' }, secret: 't' }, ['config.url']],
    ['a webhook secret not in whsec_ form', { name: 'a', kind: 'webhook', config: { url: 'https://x.example.com' }, secret: 'plain' }, ['secret']],
    ['a missing webhook secret', { name: 'a', kind: 'webhook', config: { url: 'https://x.example.com' } }, ['secret']],
    ['an unknown subscription', { name: 'a', kind: 'webhook', config: { url: 'https://x.example.com', subscribe: ['alert.raised', 'x'] }, secret: SECRET }, ['config.subscribe[1]']],
    ['an email without host and with a bad port', { name: 'a', kind: 'email', config: { port: 70000, from: 'cx@shop.example.com' } }, ['config.port', 'config.host']],
    ['an sms without sid', { name: 'a', kind: 'sms', config: { from: '+1' }, secret: 't' }, ['config.accountSid']],
    ['an unknown setting', { name: 'a', kind: 'push', config: { url: 'https://x.example.com', colour: 1 }, secret: 't' }, ['config.colour']],
  ])('names the field for %s', (_name, draft, fields) => {
    const result = validateChannel(draft, { secretRequired: true });
    expect(result.channel).toBeNull();
    expect(fieldsOf(result)).toEqual(expect.arrayContaining(fields));
  });

  it('accepts env references and an email without a secret', () => {
    expect(validateChannel({ name: 'm', kind: 'email', config: { host: 'smtp.example.com', from: 'Shop <cx@shop.example.com>' } }, { secretRequired: true }).problems).toEqual([]);
    expect(validateChannelSecret('webhook', 'env:SHOP_WEBHOOK_SECRET')).toEqual([]);
    expect(validateChannelSecret('webhook', 'env:lower')).toHaveLength(1);
  });
});
