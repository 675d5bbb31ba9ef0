import { readTwilioStatus } from '../../../../subgraphs/actions/domain/twilio-status';
import { twilioSignature, verifyTwilioSignature } from '../../../../subgraphs/actions/services/channels/twilio-signature';

describe('Twilio status callbacks', () => {
  // the example of Twilio's own documentation on validating requests: token, URL, parameters, signature
  const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };

  it('signs as Twilio documents it', () => {
    expect(twilioSignature('12345', url, params)).toBe('GvWf1cFY/Q7PnoempGyD5oXAezc=');
  });

  it('verifies under any of the secrets, and refuses another token, URL or parameter', () => {
    const signature = 'GvWf1cFY/Q7PnoempGyD5oXAezc=';
    expect(verifyTwilioSignature(signature, url, params, ['rotated-out', '12345'])).toBe(true);
    expect(verifyTwilioSignature(signature, url, params, ['54321'])).toBe(false);
    expect(verifyTwilioSignature(signature, url.replace('foo=1', 'foo=2'), params, ['12345'])).toBe(false);
    expect(verifyTwilioSignature(signature, url, { ...params, Digits: '9999' }, ['12345'])).toBe(false);
    expect(verifyTwilioSignature(undefined, url, params, ['12345'])).toBe(false);
    expect(verifyTwilioSignature(['a', 'b'], url, params, ['12345'])).toBe(false);
  });

  it('reads a delivery as delivered, undelivered and failed as bounces with their error code, and the steps on the way as ignored', () => {
    expect(readTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'delivered' }).callback).toEqual({ messageId: 'SM1', status: 'delivered', reason: null, occurredAt: null });
    expect(readTwilioStatus({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' }).callback).toEqual({
      messageId: 'SM1',
      status: 'bounced',
      reason: 'undelivered (error 30003)',
      occurredAt: null,
    });
    expect(readTwilioStatus({ SmsSid: 'SM2', SmsStatus: 'FAILED' }).callback).toMatchObject({ messageId: 'SM2', status: 'bounced', reason: 'failed' });
    for (const status of ['queued', 'sending', 'sent', 'accepted', 'scheduled', 'read', 'canceled']) {
      expect(readTwilioStatus({ MessageSid: 'SM1', MessageStatus: status })).toEqual({ callback: null, ignored: status, problems: [] });
    }
  });

  it('names each missing field', () => {
    expect(readTwilioStatus({}).problems.map((p) => p.field)).toEqual(['MessageSid', 'MessageStatus']);
    expect(readTwilioStatus({ MessageSid: 'x'.repeat(201), MessageStatus: 'delivered' }).problems.map((p) => p.field)).toEqual(['MessageSid']);
  });
});
