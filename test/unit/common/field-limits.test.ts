import { createHash } from 'node:crypto';

import { validateAlertRule, type AlertRuleDraft } from '../../../subgraphs/actions/domain/validate-alert-rule';
import { validateChannel } from '../../../subgraphs/actions/domain/validate-channel';
import { validateContactPolicy } from '../../../subgraphs/actions/domain/validate-contact-policy';
import { validateMeasurementSettings } from '../../../subgraphs/actions/domain/validate-measurement-settings';
import { validatePlaybook, type PlaybookDraft } from '../../../subgraphs/actions/domain/validate-playbook';
import { FIELD_LIMITS, type FieldLimits } from '../../../subgraphs/common/limits';
import { parseSegmentCondition, SegmentConditionError } from '../../../subgraphs/profiles/domain/segments/validate-condition';
import { validateEvent } from '../../../subgraphs/signals/domain/events/validate-event';
import { ruleDraft } from '../actions/domain/alert-rule-fixtures';
import { CHURN_PLAYBOOK } from '../actions/domain/playbook-fixtures';

const x = (n: number) => 'x'.repeat(n);
const a = (n: number) => 'a'.repeat(n);
const uuid = (i: number) => `01a21226-0000-7000-8000-${String(i).padStart(12, '0')}`;

const rule = ruleDraft;
const ruleRefuses = (draft: AlertRuleDraft, field: string) => validateAlertRule(draft).problems.some((p) => p.field === field);

const withStep = (i: number, over: object): PlaybookDraft => ({ ...CHURN_PLAYBOOK, steps: CHURN_PLAYBOOK.steps.map((s, j) => (j === i ? { ...s, ...over } : s)) });
const only = (step: object): PlaybookDraft => ({ name: 'p', steps: [{ id: 's', next: null, ...step } as PlaybookDraft['steps'][number]] });
const playbookRefuses = (draft: PlaybookDraft, field: string) => validatePlaybook(draft).problems.some((p) => p.field === field);
const webhook = (data: Record<string, string>) => only({ type: 'webhook', channel: 'hooks', data });
const branch = (arms: object[]) => only({ type: 'branch', arms, otherwise: null });
/** An experiment step whose first variant is named `name`, with the steps its arms lead to. */
const experiment = (name: string): PlaybookDraft => ({
  name: 'p',
  steps: [
    { id: 'x', type: 'experiment', key: 'k', name: 'Test', control: { next: null }, variants: [{ name, next: 'a' }, { name: 'b', next: 'a' }], goal: { event: 'Order Completed', windowSeconds: 86400 } },
    { id: 'a', type: 'exit' },
  ] as PlaybookDraft['steps'],
});
const cond = (field = 'profile.traits.plan') => ({ field, op: 'exists' });

const channelRefuses = (draft: Parameters<typeof validateChannel>[0], field: string) => validateChannel(draft, { secretRequired: true }).problems.some((p) => p.field === field);
const policyRefuses = (draft: Parameters<typeof validateContactPolicy>[0], field: string) => validateContactPolicy(draft).problems.some((p) => p.field === `input.${field}`);

const settingsRefuse = (draft: Parameters<typeof validateMeasurementSettings>[0], field: string) => validateMeasurementSettings(draft).some((p) => p.field === field);

/** Whether the condition is refused at a path ending in `suffix`. */
const conditionRefuses = (input: unknown, suffix: string) => {
  try {
    parseSegmentCondition(input);
    return false;
  } catch (err) {
    if (!(err instanceof SegmentConditionError)) throw err;
    return err.path.endsWith(suffix);
  }
};
const leaf = (value: unknown = 'pro') => ({ path: 'traits.plan', op: 'eq', value });
const nested = (depth: number): object => (depth <= 1 ? leaf() : { not: nested(depth - 1) });
const performed = (event: string, atLeast = 1, withinDays = 1) => ({ performed: { event, atLeast, withinDays } });

const eventRefused = (raw: Record<string, unknown>) =>
  !validateEvent({ type: 'track', event: 'Signed Up', userId: 'u1', messageId: 'm1', ...raw }, { receivedAt: new Date(), digest: (t) => createHash('sha256').update(t).digest('hex') }).ok;

/**
 * For each entry of the table: whether a value of size `n` is refused at the field the entry
 * bounds. A cap holds when its own size is accepted and one more is refused.
 */
const PROBES: Record<keyof FieldLimits, (n: number) => boolean> = {
  nameLength: (n) => ruleRefuses(rule({ name: x(n) }), 'name') && playbookRefuses({ ...CHURN_PLAYBOOK, name: x(n) }, 'name'),
  descriptionLength: (n) => playbookRefuses({ ...CHURN_PLAYBOOK, description: x(n) }, 'description'),
  teamLength: (n) => ruleRefuses(rule({ team: x(n) }), 'team') && playbookRefuses(withStep(4, { team: x(n) }), 'steps[4].team') && playbookRefuses(withStep(4, { escalateToTeam: x(n) }), 'steps[4].escalateToTeam'),
  titleLength: (n) => playbookRefuses(withStep(4, { title: x(n) }), 'steps[4].title'),
  subjectLength: (n) => playbookRefuses(withStep(0, { subject: x(n) }), 'steps[0].subject'),
  toLength: (n) => playbookRefuses(withStep(0, { to: x(n) }), 'steps[0].to'),
  bodyLength: (n) => playbookRefuses(withStep(2, { body: x(n) }), 'steps[2].body'),
  htmlLength: (n) => playbookRefuses(withStep(0, { html: x(n) }), 'steps[0].html'),
  webhookDataValueLength: (n) => playbookRefuses(webhook({ k: x(n) }), 'steps[0].data.k'),
  traitValueLength: (n) => playbookRefuses(only({ type: 'updateTraits', traits: { k: x(n) } }), 'steps[0].traits.k'),
  channelNameLength: (n) => channelRefuses({ name: a(n), kind: 'push', config: { url: 'https://x.example.com' }, secret: 't' }, 'name'),
  channelRefLength: (n) => playbookRefuses(withStep(0, { channel: a(n) }), 'steps[0].channel') && policyRefuses({ channel: a(n) }, 'channel'),
  kindLength: (n) => ruleRefuses(rule({}, { riskKind: a(n) }), 'trigger.riskKind'),
  stepIdLength: (n) => playbookRefuses(only({ id: a(n), type: 'exit' }), 'steps[0].id'),
  variantNameLength: (n) => playbookRefuses(experiment(a(n)), 'steps[0].variants[0].name'),
  stepKeyLength: (n) => playbookRefuses(webhook({ [a(n)]: 'v' }), `steps[0].data.${a(n)}`),
  // no IANA zone is 64 characters long: at the cap, the longest real one passes
  timezoneLength: (n) => policyRefuses({ channel: 'sms', timezone: n > FIELD_LIMITS.timezoneLength ? `Europe/${x(n - 7)}` : 'America/Argentina/ComodRivadavia' }, 'timezone'),
  accountSidLength: (n) => channelRefuses({ name: 'sms', kind: 'sms', config: { from: '+1', accountSid: a(n) }, secret: 't' }, 'config.accountSid'),
  waitEventNameLength: (n) => playbookRefuses(withStep(1, { event: x(n) }), 'steps[1].event') && playbookRefuses(withStep(1, { where: [{ property: x(n), equals: 'e' }] }), 'steps[1].where[0].property'),
  factFieldLength: (n) => playbookRefuses(branch([{ when: [cond(`profile.${x(n - 8)}`)], next: null }]), 'steps[0].arms[0].when[0].field'),
  eventIdLength: (n) => eventRefused({ messageId: x(n) }) && eventRefused({ userId: x(n) }) && eventRefused({ event: x(n) }),
  segmentEventNameLength: (n) => conditionRefuses(performed(x(n)), 'performed.event'),
  alertRuleSegments: (n) => ruleRefuses(rule({ conditions: { segmentIds: Array.from({ length: n }, (_, i) => uuid(i)) } }), 'conditions.segmentIds'),
  playbookSteps: (n) => playbookRefuses({ name: 'p', steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'exit' })) as PlaybookDraft['steps'] }, 'steps'),
  branchArms: (n) => playbookRefuses(branch(Array.from({ length: n }, () => ({ when: [cond()], next: null }))), 'steps[0].arms'),
  armConditions: (n) =>
    playbookRefuses(branch([{ when: Array.from({ length: n }, () => cond()), next: null }]), 'steps[0].arms[0].when') &&
    playbookRefuses(withStep(1, { where: Array.from({ length: n }, () => ({ property: 'p', equals: 'e' })) }), 'steps[1].where'),
  stepKeys: (n) =>
    playbookRefuses(webhook(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))), 'steps[0].data') &&
    playbookRefuses(only({ type: 'updateTraits', traits: Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1])) }), 'steps[0].traits'),
  contactEventNames: (n) => settingsRefuse({ supportEvents: Array.from({ length: n }, (_, i) => `e${i}`) }, 'supportEvents'),
  contactEventNameLength: (n) => settingsRefuse({ churnEvents: [x(n)] }, 'churnEvents[0]'),
  contactCapCount: (n) => policyRefuses({ channel: 'sms', capCount: n, capWindowSeconds: 3600 }, 'capCount'),
  segmentPerformedAtLeast: (n) => conditionRefuses(performed('Order Completed', n), 'performed.atLeast'),
  segmentConditionDepth: (n) => conditionRefuses(nested(n), ''),
  segmentConditionNodes: (n) => conditionRefuses({ or: Array.from({ length: n - 1 }, () => leaf()) }, ''),
  segmentConditionEventWindows: (n) => conditionRefuses({ or: Array.from({ length: n }, (_, i) => performed(`e${i}`)) }, ''),
  segmentConditionListValues: (n) => conditionRefuses({ path: 'traits.plan', op: 'in', value: Array.from({ length: n }, (_, i) => `v${i}`) }, ''),
  segmentConditionStringLength: (n) => conditionRefuses(leaf(x(n)), 'value'),
  segmentConditionDays: (n) => conditionRefuses({ notSeenForDays: n }, 'notSeenForDays'),
};

describe('FIELD_LIMITS', () => {
  it.each(Object.keys(FIELD_LIMITS) as (keyof FieldLimits)[])('%s: its cap is accepted and one more is refused where it applies', (entry) => {
    const cap = FIELD_LIMITS[entry];
    expect(PROBES[entry](cap + 1)).toBe(true);
    expect(PROBES[entry](cap)).toBe(false);
  });
});
