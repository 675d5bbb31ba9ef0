import { Queue, UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { actionsSubgraph } from '../../../subgraphs/actions';
import type { AlertRuleDraft } from '../../../subgraphs/actions/domain/validate-alert-rule';
import { segmentMembershipChanged } from '../../../subgraphs/actions/workers/segment-membership-changed.worker';
import type { SegmentMembershipChangedEvent } from '../../../subgraphs/common/pubsub';
import { queueOptions, SEGMENT_ALERTS_DONE, SEGMENT_MEMBERSHIP_CHANGED, segmentChangeJobId } from '../../../subgraphs/common/queues';
import { runSubgraph } from '../../../subgraphs/common/run-subgraph';
import { useActionsHarness } from '../../fixtures/actions-harness';
import { waitFor } from '../../fixtures/wait-for';

const SEGMENT = uuidv7();
/** An entry (or exit) of `profileId` into `SEGMENT`, with a fresh membership id. */
const change = (tenantId: string, profileId: string, over: Partial<SegmentMembershipChangedEvent> = {}): SegmentMembershipChangedEvent => ({
  tenantId,
  segmentId: SEGMENT,
  segmentName: 'Enterprise trial',
  profileId,
  membershipId: uuidv7(),
  change: 'entered',
  at: '2026-12-01T10:00:00.000Z',
  ...over,
});
const segmentRule = (over: Partial<AlertRuleDraft> = {}): AlertRuleDraft => ({
  name: 'New enterprise trial',
  severity: 'medium',
  team: 'sales',
  trigger: { type: 'segment', segmentId: SEGMENT, segmentChange: 'entered' },
  ...over,
});

/** SEGMENT alert rules against real SQL (SQLite, or PostgreSQL under FORESIGHT_TEST_DB=postgres) and real Redis. */
describe('segmentMembershipChanged', () => {
  const h = useActionsHarness();
  const { alertsOf, rules } = h;
  const run = (data: SegmentMembershipChangedEvent, now?: Date, id = segmentChangeJobId(data)) => segmentMembershipChanged({ id, data }, h.actions.deps, now);

  it('raises exactly one alert for an entry into the rule’s segment, however often it is delivered', async () => {
    const tenantId = 'seg-once';
    const rule = await rules(tenantId).create(segmentRule());
    const p = uuidv7();
    const entry = change(tenantId, p);
    expect(await run(entry)).toHaveLength(1);
    expect(await run(entry)).toEqual([]);
    expect(await run(entry, undefined, 'swept-again')).toEqual([]);
    const alerts = await alertsOf(tenantId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      profileId: p,
      ruleId: rule.ruleId,
      type: 'segment_entered',
      triggerId: entry.membershipId,
      severity: 'medium',
      team: 'sales',
      score: 0,
      sourceKey: `${rule.ruleId}-segment-${entry.membershipId}-entered`,
    });
    expect(alerts[0].message).toBe('New enterprise trial: entered segment "Enterprise trial" at 2026-12-01T10:00:00.000Z.');
    expect(alerts[0].reasons).toEqual([{ factor: 'segment:entered', contribution: 1, description: 'Entered segment "Enterprise trial"', evidence: [SEGMENT, entry.membershipId] }]);
  });

  it('raises nothing for an exit, or an entry into another segment; an exit rule fires on the exit only', async () => {
    const tenantId = 'seg-miss';
    await rules(tenantId).create(segmentRule());
    const p = uuidv7();
    expect(await run(change(tenantId, p, { change: 'exited' }))).toEqual([]);
    expect(await run(change(tenantId, p, { segmentId: uuidv7() }))).toEqual([]);
    await rules(tenantId).create(segmentRule({ name: 'Trial left', trigger: { type: 'segment', segmentId: SEGMENT, segmentChange: 'exited' } }));
    const exit = change(tenantId, p, { change: 'exited' });
    const raised = await run(exit);
    expect(raised.map((a) => [a.type, a.triggerId])).toEqual([['segment_exited', exit.membershipId]]);
    expect(await alertsOf(tenantId)).toHaveLength(1);
  });

  it('honours the cool-down per (rule, profile), by when the changes happened', async () => {
    const tenantId = 'seg-cooldown';
    await rules(tenantId).create(segmentRule({ cooldownSeconds: 3600 }));
    const p = uuidv7();
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
    const first = change(tenantId, p, { at: at(0) });
    await run(first);
    await run(change(tenantId, p, { at: at(30) })); // re-entered inside the hour: quiet
    const later = change(tenantId, p, { at: at(61) });
    await run(later);
    expect((await alertsOf(tenantId)).map((a) => a.triggerId)).toEqual([first.membershipId, later.membershipId]);
  });

  it('never fires another tenant’s rule', async () => {
    await rules('seg-b').create(segmentRule());
    const p = uuidv7();
    expect(await run(change('seg-a', p))).toEqual([]);
    expect(await alertsOf('seg-a')).toEqual([]);
    expect(await alertsOf('seg-b')).toEqual([]);
  });

  it('acknowledges the change to profiles once evaluated', async () => {
    const entry = change('seg-ack', uuidv7());
    await run(entry, undefined, 'ack-job');
    const done = await h.actions.deps.queues.get(SEGMENT_ALERTS_DONE).getJob('ack-job-done');
    expect(done?.data).toEqual({ tenantId: 'seg-ack', changes: [{ membershipId: entry.membershipId, change: 'entered' }] });
  });

  it('fails a malformed change for good', async () => {
    await expect(run({ ...change('seg-bad', uuidv7()), change: 'joined' as 'entered' }, undefined, 'bad')).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('evaluates waiting jobs through the real (coalescing) worker, one alert per entry', async () => {
    const tenantId = 'seg-queue';
    await rules(tenantId).create(segmentRule());
    const entries = Array.from({ length: 12 }, () => change(tenantId, uuidv7()));
    const queue = new Queue<SegmentMembershipChangedEvent>(SEGMENT_MEMBERSHIP_CHANGED, queueOptions(h.actions.deps.redis, h.env.config.queuePrefix));
    try {
      // queued before the worker starts, so its first job takes the others with it
      await queue.addBulk(entries.map((data) => ({ name: SEGMENT_MEMBERSHIP_CHANGED, data, opts: { jobId: segmentChangeJobId(data) } })));
      await queue.add(SEGMENT_MEMBERSHIP_CHANGED, entries[0], { jobId: segmentChangeJobId(entries[0]) });
      const withWorkers = await runSubgraph(actionsSubgraph, h.env.config, { port: 0 });
      try {
        await waitFor(async () => (await queue.getJobCounts('completed')).completed === entries.length);
        expect((await alertsOf(tenantId)).map((a) => a.triggerId).sort()).toEqual(entries.map((e) => e.membershipId).sort());
      } finally {
        await withWorkers.close();
      }
    } finally {
      await queue.close();
    }
  });
});
