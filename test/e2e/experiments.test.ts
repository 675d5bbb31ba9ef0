import { CONTROL_ARM } from '../../subgraphs/actions/domain/uplift/assignment';
import { newcombeInterval } from '../../subgraphs/actions/domain/uplift/newcombe';
import { ExperimentAssignment } from '../../subgraphs/actions/entities/experiment-assignment.entity';
import { ExperimentConversion } from '../../subgraphs/actions/entities/experiment-conversion.entity';
import { PlaybookRunService } from '../../subgraphs/actions/services/playbook-runs.service';
import { queuePlaybookSteps } from '../../subgraphs/actions/services/queue-playbook-steps';
import { PLAYBOOK_EVENTS, PLAYBOOK_STEP, type PlaybookEventRef } from '../../subgraphs/common/queues';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const CREATE = /* GraphQL */ `
  mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id experiments { id key } } }
`;
const RESULT_FIELDS = /* GraphQL */ `
  id playbookId key name playbookVersion confidence
  definition { arm share next }
  goal { event where windowSeconds }
  autoWinner { minSamplePerArm alpha mixingSd }
  arms { arm assigned converted expectedShare rate { value low high } }
  comparisons { variant status reason difference { value low high } relativeLift { value low high } pValue }
  sampleRatio { chiSquare degreesOfFreedom pValue srmFlag }
  sequential { variant looks pValue low high }
  winner { arm pValue }
`;
const EXPERIMENT = `query($id: ID!, $from: DateTimeISO, $to: DateTimeISO) { experiment(id: $id, from: $from, to: $to) { ${RESULT_FIELDS} } }`;
const LIST = `query($playbookId: ID!) { experiments(playbookId: $playbookId) { id key } }`;
const profile = (n: number) => `01a21228-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A CX lead reads an A/B/n experiment through the gateway: 240 customers assigned at an experiment
 * step by the real step queue, conversions arriving on the action queue, and `experiment(id)`
 * giving the counts, rates, comparisons and SRM check; another tenant's key cannot see it.
 */
describe('experiment(id) through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let reader: string;
  const tenant = 'shop';

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(tenant, ['admin']);
    reader = await stack.key(tenant, ['risk:read']);
    const off = await gql(stack.gateway.url, `mutation { updateMeasurementSettings(input: { globalControlFraction: 0 }) { globalControlFraction } }`, {}, bearer(admin));
    expect(off.errors).toBeUndefined();
  });
  afterAll(() => stack?.stop());

  const em = () => forkForTenant(stack.subgraphs.actions.deps.orm, tenant);

  it('shows arms, comparisons with hand-checked intervals and the SRM check, to its tenant only', async () => {
    const input = {
      name: 'Subject lines',
      holdoutFraction: 0,
      steps: [
        { id: 'subject', type: 'experiment', key: 'subject', name: 'Subject test', control: { weight: 2, next: null }, variants: [{ name: 'short', next: null }, { name: 'emoji', next: null }], goal: { event: 'Email Clicked', windowSeconds: 86400 } },
      ],
    };
    const created = await gql(stack.gateway.url, CREATE, { input }, bearer(admin));
    expect(created.errors).toBeUndefined();
    const playbookId = created.data?.createPlaybook.id as string;
    const id = created.data?.createPlaybook.experiments[0].id as string;
    expect(created.data?.createPlaybook.experiments).toEqual([{ id, key: 'subject' }]);
    const bad = await gql(stack.gateway.url, CREATE, { input: { ...input, steps: [{ ...input.steps[0], variants: [{ name: 'only', next: null }] }] } }, bearer(admin));
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(bad.errors?.[0].message).toContain('input.steps[0].variants: must have 2–4 variants');

    const { steps } = await em().transactional((tx) => new PlaybookRunService(tx, tenant).enrol(Array.from({ length: 240 }, (_, i) => ({ playbookId, profileId: profile(i + 1), enrolledBy: 'test' }))));
    await queuePlaybookSteps(stack.subgraphs.actions.deps.queues.get(PLAYBOOK_STEP), steps, new Date());
    await waitFor(async () => (await em().count(ExperimentAssignment, {})) === 240, 60_000);
    const log = await em().find(ExperimentAssignment, {}, { orderBy: { profileId: 'asc' } });
    const byArm = (arm: string) => log.filter((a) => a.arm === arm).map((a) => a.profileId);
    // every 4th control customer clicks, every 2nd emoji customer, none of short
    const clickers = [...byArm(CONTROL_ARM).filter((_, i) => i % 4 === 0), ...byArm('emoji').filter((_, i) => i % 2 === 0)];
    const at = new Date(Date.now() + 60_000).toISOString();
    const events: PlaybookEventRef[] = clickers.map((p, i) => ({ eventId: `click-${i}`, profileId: p, name: 'Email Clicked', properties: {}, occurredAt: at }));
    await stack.subgraphs.actions.deps.queues.get(PLAYBOOK_EVENTS).add(PLAYBOOK_EVENTS, { tenantId: tenant, events }, { jobId: `${tenant}-clicks` });
    await waitFor(async () => (await em().count(ExperimentConversion, {})) === clickers.length, 30_000);

    const res = await gql(stack.gateway.url, EXPERIMENT, { id }, bearer(reader));
    expect(res.errors).toBeUndefined();
    const e = res.data?.experiment;
    const n = (arm: string) => byArm(arm).length;
    const x = { control: Math.ceil(n(CONTROL_ARM) / 4), short: 0, emoji: Math.ceil(n('emoji') / 2) };
    expect(e).toMatchObject({
      id,
      playbookId,
      key: 'subject',
      name: 'Subject test',
      playbookVersion: 1,
      confidence: 0.95,
      definition: [{ arm: 'control', share: 0.5, next: null }, { arm: 'short', share: 0.25, next: null }, { arm: 'emoji', share: 0.25, next: null }],
      goal: { event: 'Email Clicked', where: [], windowSeconds: 86400 },
      autoWinner: null,
      sequential: [],
      winner: null,
    });
    expect(e.arms.map((a: { arm: string; assigned: number; converted: number; expectedShare: number }) => [a.arm, a.assigned, a.converted, a.expectedShare])).toEqual([
      ['control', n(CONTROL_ARM), x.control, 0.5],
      ['short', n('short'), 0, 0.25],
      ['emoji', n('emoji'), x.emoji, 0.25],
    ]);
    const emoji = e.comparisons.find((c: { variant: string }) => c.variant === 'emoji');
    const interval = newcombeInterval({ successes: x.emoji, trials: n('emoji') }, { successes: x.control, trials: n(CONTROL_ARM) });
    expect(emoji.status).toBe('MEASURED');
    expect(emoji.difference.value).toBeCloseTo(x.emoji / n('emoji') - x.control / n(CONTROL_ARM), 12);
    expect(emoji.difference.low).toBeCloseTo(interval.lower, 12);
    expect(emoji.difference.high).toBeCloseTo(interval.upper, 12);
    // short has no conversion: the ratio has no finite interval, the difference still has one
    const short = e.comparisons.find((c: { variant: string }) => c.variant === 'short');
    expect(short).toMatchObject({ status: 'MEASURED', relativeLift: null });
    expect(e.sampleRatio).toMatchObject({ degreesOfFreedom: 2, srmFlag: false });

    // a period before anyone was assigned: no customers, so no numbers, and the reason
    const before = (await gql(stack.gateway.url, EXPERIMENT, { id, from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' }, bearer(reader))).data?.experiment;
    expect(before.arms.map((a: { assigned: number; rate: unknown }) => [a.assigned, a.rate])).toEqual([[0, null], [0, null], [0, null]]);
    expect(before.comparisons[0]).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', reason: 'short has 0 customers; at least 30 per arm are needed', difference: null, pValue: null });
    expect(before.sampleRatio).toMatchObject({ pValue: 1, srmFlag: false });
    const sinceStart = (await gql(stack.gateway.url, EXPERIMENT, { id, from: '2020-01-01T00:00:00Z' }, bearer(reader))).data?.experiment;
    expect(sinceStart.arms).toEqual(e.arms);
    const backwards = await gql(stack.gateway.url, EXPERIMENT, { id, from: '2030-01-01T00:00:00Z', to: '2020-01-01T00:00:00Z' }, bearer(reader));
    expect(backwards.errors?.[0]).toMatchObject({ message: 'to: must be after from', extensions: { code: 'BAD_USER_INPUT' } });

    expect((await gql(stack.gateway.url, LIST, { playbookId }, bearer(reader))).data?.experiments).toEqual([{ id, key: 'subject' }]);
    // another tenant's key sees neither the experiment nor the list
    const rivalKey = await stack.key('rival', ['risk:read']);
    const rival = await gql(stack.gateway.url, EXPERIMENT, { id }, bearer(rivalKey));
    expect(rival.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(rival.data?.experiment ?? null).toBeNull();
    expect((await gql(stack.gateway.url, LIST, { playbookId }, bearer(rivalKey))).data?.experiments).toEqual([]);
    // a key without risk:read is refused; an id that is not one is BAD_USER_INPUT naming it
    const noScope = await gql(stack.gateway.url, EXPERIMENT, { id }, bearer(await stack.key(tenant, ['profiles:read'])));
    expect(noScope.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const notId = await gql(stack.gateway.url, EXPERIMENT, { id: 'nope' }, bearer(reader));
    expect(notId.errors?.[0]).toMatchObject({ message: 'id: must be an experiment id (a UUID)', extensions: { code: 'BAD_USER_INPUT' } });
  }, 120_000);
});
