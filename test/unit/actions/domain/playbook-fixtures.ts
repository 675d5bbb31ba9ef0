import type { PlaybookDraft } from '../../../../subgraphs/actions/domain/validate-playbook';

/**
 * The standard churn playbook of issue #12: email with a personal offer; if not opened within
 * 24 h, SMS; if still no engagement within 72 h, a high-priority task for customer service.
 */
export const CHURN_PLAYBOOK: PlaybookDraft = {
  name: 'Win back',
  steps: [
    { id: 'email', type: 'send', channel: 'email', subject: 'A gift for you, {{profile.traits.firstName}}', html: '<p>Hi {{profile.traits.firstName}}</p>', next: 'opened' },
    { id: 'opened', type: 'waitForEvent', event: 'Email Opened', where: [{ property: 'step', equals: 'email' }], timeoutSeconds: 24 * 3600, onEvent: 'done', onTimeout: 'sms' },
    { id: 'sms', type: 'send', channel: 'sms', body: 'Your offer is waiting', next: 'engaged', onFailure: 'task' },
    { id: 'engaged', type: 'waitForEvent', event: 'Offer Viewed', timeoutSeconds: 72 * 3600, onEvent: 'done', onTimeout: 'task' },
    { id: 'task', type: 'createTask', team: 'customer-service', title: 'Call {{profile.traits.firstName}}', priority: 'high', dueInSeconds: 24 * 3600, next: null },
    { id: 'done', type: 'exit' },
  ],
};
