import { readDeliveryCallback } from '../../../../subgraphs/actions/domain/delivery-callback';

describe('readDeliveryCallback', () => {
  it('reads a report, status in any case, with its reason and time', () => {
    expect(readDeliveryCallback({ messageId: ' SM1 ', status: 'Bounced', reason: '550 no such user', occurredAt: '2026-03-10T08:01:00Z' })).toEqual({
      callback: { messageId: 'SM1', status: 'bounced', reason: '550 no such user', occurredAt: new Date('2026-03-10T08:01:00Z') },
      problems: [],
    });
    expect(readDeliveryCallback({ messageId: 'SM1', status: 'complained' }).callback).toEqual({ messageId: 'SM1', status: 'complained', reason: null, occurredAt: null });
  });

  it.each([
    ['a list', [], ['body']],
    ['null', null, ['body']],
    ['no message id', { status: 'delivered' }, ['messageId']],
    ['a message id too long', { messageId: 'x'.repeat(201), status: 'delivered' }, ['messageId']],
    ['an unknown status', { messageId: 'SM1', status: 'opened' }, ['status']],
    ['a reason that is not text', { messageId: 'SM1', status: 'bounced', reason: 550 }, ['reason']],
    ['a time that is not one', { messageId: 'SM1', status: 'delivered', occurredAt: 'yesterday' }, ['occurredAt']],
    ['everything wrong at once', { messageId: 7, status: null, occurredAt: 5 }, ['messageId', 'status', 'occurredAt']],
  ])('names the field of %s', (_name, body, fields) => {
    const { callback, problems } = readDeliveryCallback(body);
    expect(callback).toBeNull();
    expect(problems.map((p) => p.field)).toEqual(fields);
  });
});
