import { messageOutcomeEvent, messageOutcomeProblems } from '../../../../subgraphs/actions/domain/message-outcome-event';
import type { MessageOutcomeJob } from '../../../../subgraphs/common/queues';

const sent: MessageOutcomeJob = {
  tenantId: 'shop',
  profileId: 'p-1',
  deliveryId: 'd-1',
  runId: 'r-1',
  stepId: 'offer',
  channel: 'mail',
  playbookId: 'pb-1',
  playbook: 'Churn',
  status: 'sent',
  providerId: '<x@shop.example.com>',
  reason: null,
  at: '2026-01-15T12:00:00.000Z',
};

describe('messageOutcomeEvent', () => {
  it.each([
    ['sent', 'Message Sent'],
    ['failed', 'Message Failed'],
    ['skipped', 'Message Failed'],
    ['delivered', 'Message Delivered'],
    ['bounced', 'Message Bounced'],
    ['complained', 'Message Complained'],
  ] as const)('names a %s outcome %s', (status, name) => {
    expect(messageOutcomeEvent({ ...sent, status }).event).toBe(name);
  });

  it('carries channel, playbook, step, provider id and reason, at the time of the outcome', () => {
    const event = messageOutcomeEvent({ ...sent, status: 'skipped', providerId: null, reason: 'frequency cap: 3 per 604800s on mail' });
    expect(event.properties).toEqual({ channel: 'mail', playbookId: 'pb-1', playbook: 'Churn', runId: 'r-1', stepId: 'offer', deliveryId: 'd-1', status: 'skipped', providerId: null, reason: 'frequency cap: 3 per 604800s on mail' });
    expect(event.timestamp.toISOString()).toBe(sent.at);
  });

  it('derives the messageId from the outbox row and outcome alone, so a replay is a duplicate', () => {
    expect(messageOutcomeEvent(sent).messageId).toBe('message-sent-d-1');
    expect(messageOutcomeEvent({ ...sent, at: '2026-01-16T00:00:00.000Z', providerId: null }).messageId).toBe('message-sent-d-1');
    expect(messageOutcomeEvent({ ...sent, deliveryId: 'd-2' }).messageId).toBe('message-sent-d-2');
    expect(messageOutcomeEvent({ ...sent, status: 'failed' }).messageId).toBe('message-failed-d-1');
    // one event per row and provider report, however often the provider re-sends it
    expect(messageOutcomeEvent({ ...sent, status: 'complained' }).messageId).toBe('message-complained-d-1');
  });

  it('names the replay of a dead-lettered send (replaySend) in the messageId, so each replay’s outcome is an event of its own', () => {
    expect(messageOutcomeEvent({ ...sent, replay: 0 }).messageId).toBe('message-sent-d-1');
    expect(messageOutcomeEvent({ ...sent, status: 'failed', replay: 1 }).messageId).toBe('message-failed-d-1-replay1');
    expect(messageOutcomeEvent({ ...sent, status: 'failed', replay: 2 }).messageId).toBe('message-failed-d-1-replay2');
    expect(messageOutcomeEvent({ ...sent, replay: 2 }).properties).toMatchObject({ deliveryId: 'd-1', replay: 2 });
    expect(messageOutcomeEvent(sent).properties).not.toHaveProperty('replay');
  });
});

describe('messageOutcomeProblems', () => {
  it('accepts a well-formed job', () => {
    expect(messageOutcomeProblems(sent)).toEqual([]);
  });

  it.each([
    ['no payload', null, 'the payload must be an object'],
    ['an empty tenant', { ...sent, tenantId: '' }, 'tenantId must be a non-empty string'],
    ['an unknown status', { ...sent, status: 'opened' }, 'status must be sent, failed, skipped, delivered, bounced or complained'],
    ['a bad time', { ...sent, at: 'yesterday' }, 'at must be an ISO date-time'],
    ['a bad replay', { ...sent, replay: -1 }, 'replay must be a whole number, 0 or more'],
  ])('names the problem of %s', (_name, data, problem) => {
    expect(messageOutcomeProblems(data)).toContain(problem);
  });
});
