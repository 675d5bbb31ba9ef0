import { DemoApiError, type DemoApi } from './demo-api';

/** Where the demo's channels deliver. */
export interface SinkAddresses {
  smtpPort: number;
  smsBaseUrl: string;
}

/** The ids of what the demo defined in its tenant. */
export interface DemoTenantSetup {
  journeyId: string;
  playbookId: string;
  /** Whether the playbook carries an outcome and holdout (the measurement API is there). */
  measured: boolean;
  /** The holdout the playbook asked for (0 when the API has none: everyone is treated). */
  holdoutFraction: number;
  /** The SMS channel: the sink reports deliveries to its delivery-status callback. */
  smsChannel: { id: string; secret: string };
}

/** Holdout of the demo's playbook: half, so that a few hundred enrolments give a readable interval. */
export const DEMO_HOLDOUT = 0.5;

/**
 * How long the demo's playbook waits for `Email Opened` before the SMS. The live weeks pass in
 * seconds of wall time and BullMQ delays are in wall time, so the standard playbook's 24 h becomes
 * seconds here; every other part of it is the standard one.
 */
export const DEMO_OPEN_TIMEOUT_SECONDS = 6;

const ONBOARDING = {
  name: 'Account opening',
  steps: [
    { key: 'started', event: 'Application Started', slaMs: 2 * 86_400_000 },
    { key: 'id_upload', event: 'ID Uploaded', failureEvents: ['ID Upload Failed'], slaMs: 2 * 86_400_000 },
    { key: 'funded', event: 'Account Funded', slaMs: 2 * 86_400_000 },
    { key: 'card', event: 'Card Activated' },
  ],
  completionStep: 'card',
  slaMs: 14 * 86_400_000,
  retryLoop: { count: 3, windowMs: 600_000 },
};

/** The standard churn playbook: email with an offer → wait for `Email Opened` → SMS → a task. */
export function churnPlaybook(): Record<string, unknown> {
  return {
    name: 'Win back (standard churn playbook)',
    description: 'Email with an offer; if not opened, an SMS; then a high-priority task for customer service.',
    steps: [
      // the sinks tell the demo whom the playbook reached by the profile id in the address
      { id: 'email', type: 'send', channel: 'email', to: '{{profile.id}}@inbox.demo-bank.test', subject: 'A gift for you', html: '<p>Your fees are on us for three months.</p>', next: 'opened' },
      { id: 'opened', type: 'waitForEvent', event: 'Email Opened', where: [{ property: 'step', equals: 'email' }], timeoutSeconds: DEMO_OPEN_TIMEOUT_SECONDS, onEvent: 'done', onTimeout: 'sms' },
      { id: 'sms', type: 'send', channel: 'sms', to: '{{profile.id}}', body: 'Your offer from Demo Bank is waiting in the app.', next: 'task', onFailure: 'task' },
      { id: 'task', type: 'createTask', team: 'customer-service', title: 'Call a customer at risk', priority: 'high', dueInSeconds: 86_400, next: null },
      { id: 'done', type: 'exit' },
    ],
  };
}

/**
 * Defines, through the public GraphQL API, the onboarding journey, the email and SMS channels
 * (pointing at the local sinks), and the standard churn playbook with its outcome (`Account
 * Closed` within 30 days) and holdout. When the API does not take `outcome`/`holdoutFraction` yet,
 * the playbook is created without them and the report says impact is not measured.
 */
/** The demo SMS channel's auth token, which also signs the sink's delivery reports. */
const SMS_SECRET = 'demo-sms-token';

export async function setUpDemoTenant(api: DemoApi, sinks: SinkAddresses): Promise<DemoTenantSetup> {
  const journey = await api.gql<{ createJourney: { id: string } }>(
    `mutation($input: CreateJourneyInput!) { createJourney(input: $input) { id } }`,
    { input: ONBOARDING },
  );
  await api.gql(`mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`, {
    input: { name: 'email', kind: 'EMAIL', config: { host: '127.0.0.1', port: sinks.smtpPort, secure: false, from: 'Demo Bank <care@demo-bank.test>' } },
  });
  const sms = await api.gql<{ createChannel: { id: string } }>(`mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`, {
    input: { name: 'sms', kind: 'SMS', config: { baseUrl: sinks.smsBaseUrl, accountSid: 'ACdemo', from: 'DemoBank', allowedHosts: ['127.0.0.1'] }, secret: SMS_SECRET },
  });
  const smsChannel = { id: sms.createChannel.id, secret: SMS_SECRET };
  const create = `mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id } }`;
  const measuredInput = { ...churnPlaybook(), holdoutFraction: DEMO_HOLDOUT, outcome: { kind: 'CHURNED', event: 'Account Closed', windowDays: 30 } };
  try {
    const created = await api.gql<{ createPlaybook: { id: string } }>(create, { input: measuredInput });
    return { journeyId: journey.createJourney.id, playbookId: created.createPlaybook.id, measured: true, holdoutFraction: DEMO_HOLDOUT, smsChannel };
  } catch (err) {
    // an API without the measurement fields refuses them as unknown input fields
    if (!(err instanceof DemoApiError) || !/holdoutFraction|outcome/.test(err.message)) throw err;
    const created = await api.gql<{ createPlaybook: { id: string } }>(create, { input: churnPlaybook() });
    return { journeyId: journey.createJourney.id, playbookId: created.createPlaybook.id, measured: false, holdoutFraction: 0, smsChannel };
  }
}

/**
 * The demo bank's risk scale. Its customers close accounts at a few percent a month, so a churn
 * probability of 20% is already five times the base rate: the platform's default buckets (Medium
 * from 50, High from 75) would call almost nobody high-risk. An operator sets the buckets to the
 * tenant's base rates (`RISK_BUCKET_MEDIUM`, `RISK_BUCKET_HIGH`); the demo does the same.
 */
export const DEMO_RISK_BUCKETS = { medium: 10, high: 20 } as const;

/** Churn score (0–100) whose crossing enrols a customer: entering the demo's High bucket. */
export const DEMO_HIGH_RISK_SCORE = DEMO_RISK_BUCKETS.high;

/** The alert rule that enrols customers crossing into high risk in the playbook. */
export async function createEnrolmentRule(api: DemoApi, playbookId: string): Promise<string> {
  const rule = await api.gql<{ createAlertRule: { id: string } }>(
    `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { id } }`,
    {
      input: {
        name: 'High churn risk → win-back playbook',
        severity: 'HIGH',
        team: 'retention',
        trigger: { type: 'RISK_CROSSING', riskKind: 'churn', threshold: DEMO_HIGH_RISK_SCORE, direction: 'UP', hysteresis: 3 },
        playbookId,
      },
    },
  );
  return rule.createAlertRule.id;
}
