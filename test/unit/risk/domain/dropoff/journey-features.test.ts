import {
  buildDropOffTrainingSet,
  DROP_OFF_FEATURES,
  journeyFeatures,
  typicalStepTimes,
  type JourneySnapshotInput,
} from '../../../../../subgraphs/risk/domain/dropoff/journey-features';

const T0 = Date.parse('2026-11-25T09:00:00Z');
const MIN = 60_000;
const at = (min: number) => new Date(T0 + min * MIN);

/** The account-opening journey: four steps, SLAs in minutes (none on the completion step). */
const STEPS = ['started', 'id_upload', 'details', 'opened'];
const SLA_MIN = [120, 120, 240, null];

type State = JourneySnapshotInput['state'];

/** A snapshot of instance `id` at step `stepIndex`, reached at minute `reached`, observed at `observed`. */
function snap(
  id: string,
  state: State,
  stepIndex: number,
  reached: number,
  observed = reached,
  { retries = 0, journey = 'onboarding', start = 0 }: { retries?: number; journey?: string; start?: number } = {},
): JourneySnapshotInput {
  const ended = state === 'completed' || state === 'abandoned';
  return {
    instanceId: id,
    journeyId: `${journey}-id`,
    journeyName: journey,
    state,
    stepIndex,
    stepCount: STEPS.length,
    step: STEPS[stepIndex],
    stepReachedAt: at(reached),
    stepSlaMs: SLA_MIN[stepIndex] === null ? null : SLA_MIN[stepIndex]! * MIN,
    startedAt: at(start),
    retries,
    endedAt: ended ? at(observed) : null,
    observedAt: at(observed),
  };
}

const byInstance = (...snapshots: JourneySnapshotInput[]) => {
  const map = new Map<string, JourneySnapshotInput[]>();
  for (const s of snapshots) map.set(s.instanceId, [...(map.get(s.instanceId) ?? []), s]);
  return map;
};

describe('journeyFeatures', () => {
  it('describes an instance at a step as of a date against the typical time there', () => {
    const latest = snap('i', 'active', 1, 10, 10, { retries: 3 });
    const { values, describe } = journeyFeatures(latest, at(55), 6 * MIN);
    expect(values).toEqual({
      journey: 'onboarding',
      step_progress: 0.33,
      step_index: 1,
      minutes_in_step: 45,
      time_in_step_ratio: 7.5,
      retries: 3,
      stalled: 0,
      minutes_since_start: 55,
    });
    expect(describe).toMatchObject({
      minutes_in_step: '45 min at step id_upload vs typical 6',
      time_in_step_ratio: '45 min at step id_upload vs typical 6',
      retries: '3 retries',
      stalled: 'not stalled',
      step_index: 'at step 2 of 4 (id_upload)',
      minutes_since_start: '55 min since the journey started',
    });
    expect(Object.keys(values).sort()).toEqual([...DROP_OFF_FEATURES.numeric, ...DROP_OFF_FEATURES.categorical].sort());
    expect(Object.keys(describe).sort()).toEqual(Object.keys(values).sort());
  });

  it.each<[string, JourneySnapshotInput, number, Partial<Record<string, number | string | null>>, Partial<Record<string, string>>]>([
    ['counts a stalled snapshot as stalled', snap('i', 'stalled', 1, 10, 130), 140, { stalled: 1, minutes_in_step: 130 }, { stalled: 'stalled at id_upload' }],
    ['counts an active step past its SLA as stalled, whenever the sweep runs', snap('i', 'active', 1, 10), 131, { stalled: 1 }, { stalled: 'stalled at id_upload' }],
    ['does not count the SLA deadline itself as a stall', snap('i', 'active', 1, 10), 130, { stalled: 0 }, {}],
    ['never stalls a step without an SLA', { ...snap('i', 'active', 1, 10), stepSlaMs: null }, 10_000, { stalled: 0 }, {}],
    ['stops the clock when the instance ended', snap('i', 'abandoned', 2, 30, 2880, { start: 0 }), 5000, { minutes_in_step: 2850, minutes_since_start: 2880, stalled: 0 }, { minutes_since_start: 'journey took 2880 min' }],
    ['leaves the ratio unknown without a typical time', snap('i', 'active', 0, 0), 30, { time_in_step_ratio: null, minutes_in_step: 30 }, { minutes_in_step: '30 min at step started', time_in_step_ratio: 'no typical time known for step started' }],
    ['puts the last step at progress 1', snap('i', 'completed', 3, 30), 30, { step_progress: 1, step_index: 3 }, {}],
    ['says one retry', snap('i', 'active', 0, 0, 0, { retries: 1 }), 1, { retries: 1 }, { retries: '1 retry' }],
    ['says no retries', snap('i', 'active', 0, 0), 1, { retries: 0 }, { retries: 'no retries' }],
  ])('%s', (_name, latest, asOfMin, values, words) => {
    const f = journeyFeatures(latest, at(asOfMin), null);
    expect(f.values).toMatchObject(values);
    expect(f.describe).toMatchObject(words);
  });

  it('gives a one-step journey progress 0', () => {
    expect(journeyFeatures({ ...snap('i', 'active', 0, 0), stepCount: 1 }, at(5), null).values.step_progress).toBe(0);
  });

  it('rejects a snapshot from after asOf', () => {
    expect(() => journeyFeatures(snap('i', 'active', 1, 10), at(5), null)).toThrow(RangeError);
    expect(() => journeyFeatures(snap('i', 'active', 1, 10), at(5), null)).toThrow(/journeyFeatures: .*observedAt=2026-11-25T09:10:00.000Z, asOf=2026-11-25T09:05:00.000Z/);
  });
});

describe('typicalStepTimes', () => {
  it('takes the median time before moving on per journey and step, leaving out where instances still are or ended', () => {
    const typical = typicalStepTimes(
      byInstance(
        // step 0 took 2, 4, 6 and 8 minutes: median 5; step 1 took 5, 10 and 30 minutes: median 10
        snap('a', 'active', 0, 0),
        snap('a', 'active', 1, 2),
        snap('a', 'active', 2, 7),
        snap('b', 'active', 0, 0),
        snap('b', 'active', 1, 4),
        snap('b', 'stalled', 1, 4, 124),
        snap('b', 'active', 2, 14, 14),
        snap('c', 'active', 0, 0),
        snap('c', 'active', 1, 6),
        snap('c', 'completed', 3, 36),
        // still at step 1 after 500 minutes: censored, not counted
        snap('d', 'active', 0, 0),
        snap('d', 'active', 1, 8),
        // abandoned at step 0: not counted
        snap('e', 'active', 0, 0),
        snap('e', 'abandoned', 0, 0, 2880),
        // another journey keeps its own times
        snap('f', 'active', 0, 0, 0, { journey: 'checkout' }),
        snap('f', 'active', 1, 1, 1, { journey: 'checkout' }),
      ),
    );
    // step 2: nobody moved on from it (c skipped it), so no typical time
    expect(typical).toEqual(
      new Map([
        ['onboarding-id-0', 5 * MIN],
        ['onboarding-id-1', 10 * MIN],
        ['checkout-id-0', 1 * MIN],
      ]),
    );
  });

  it('counts a skipped step as passed, not spent at: the time goes to the step before it', () => {
    const typical = typicalStepTimes(byInstance(snap('a', 'active', 0, 0), snap('a', 'completed', 3, 12)));
    expect(typical).toEqual(new Map([['onboarding-id-0', 12 * MIN]]));
  });

  it('is empty without instances that moved on', () => {
    expect(typicalStepTimes(new Map())).toEqual(new Map());
    expect(typicalStepTimes(byInstance(snap('a', 'active', 0, 0), snap('a', 'stalled', 0, 0, 120)))).toEqual(new Map());
  });
});

describe('buildDropOffTrainingSet', () => {
  const instances = byInstance(
    // completed: 3 rows, label 0
    snap('done', 'active', 0, 0),
    snap('done', 'active', 1, 5),
    snap('done', 'active', 2, 20),
    snap('done', 'completed', 3, 30),
    // abandoned after a stall: 3 rows, label 1
    snap('dropped', 'active', 0, 0, 0, { retries: 0 }),
    snap('dropped', 'active', 1, 4, 4, { retries: 1 }),
    snap('dropped', 'stalled', 1, 4, 124, { retries: 2 }),
    snap('dropped', 'abandoned', 1, 4, 2880, { retries: 2 }),
    // still open: no rows
    snap('open', 'active', 0, 0),
    snap('open', 'active', 1, 3),
    snap('stuck', 'active', 0, 0),
    snap('stuck', 'stalled', 0, 0, 120),
    // finished at its first snapshot: nothing to learn from
    snap('instant', 'completed', 3, 0),
    // marked stalled and abandoned, then late events completed it inside the SLA: completion wins
    snap('late', 'active', 0, 0),
    snap('late', 'active', 1, 5),
    snap('late', 'stalled', 1, 5, 125),
    snap('late', 'abandoned', 1, 5, 2880),
    snap('late', 'active', 2, 50),
    snap('late', 'completed', 3, 100),
  );
  const typical = typicalStepTimes(instances);
  const rows = buildDropOffTrainingSet(instances, typical);
  const of = (id: string) => rows.filter((r) => r.instanceId === id);

  it.each([
    ['a completed instance', 'done', 0, 3],
    ['an abandoned instance', 'dropped', 1, 3],
    ['an instance completed after being marked abandoned', 'late', 0, 3],
  ])('labels %s and gives one row per open snapshot it went through', (_name, id, label, count) => {
    expect(of(id)).toHaveLength(count);
    for (const row of of(id)) expect(row.label).toBe(label);
  });

  it.each(['open', 'stuck', 'instant'])('gives no row for %s', (id) => {
    expect(of(id)).toEqual([]);
  });

  it('takes each row’s features as of the moment the instance left that state', () => {
    expect(of('dropped').map((r) => [r.features.step_index, r.features.minutes_in_step, r.features.stalled, r.features.retries])).toEqual([
      [0, 4, 0, 0],
      // left `active` at the stall deadline (4 + 120), not yet past it
      [1, 120, 0, 1],
      // left `stalled` when abandoned: time in step up to then
      [1, 2876, 1, 2],
    ]);
    expect(of('done').map((r) => [r.features.step_index, r.features.minutes_in_step, r.features.minutes_since_start])).toEqual([
      [0, 5, 5],
      [1, 15, 20],
      [2, 10, 30],
    ]);
  });

  it('drops open snapshots a late completion proved never held', () => {
    expect(of('late').map((r) => [r.features.step_index, r.features.minutes_in_step])).toEqual([
      [0, 5],
      [1, 45],
      [2, 50],
    ]);
  });

  it('compares each row’s time in step with the typical time of its step', () => {
    // step 0: open 3, dropped 4, done 5, late 5 → 4.5; step 1: done 15, late 45 → 30 (dropped
    // and open never left it); step 2: done 10, late 50 → 30
    expect(typical).toEqual(
      new Map([
        ['onboarding-id-0', 4.5 * MIN],
        ['onboarding-id-1', 30 * MIN],
        ['onboarding-id-2', 30 * MIN],
      ]),
    );
    expect(of('done').map((r) => r.features.time_in_step_ratio)).toEqual([1.11, 0.5, 0.33]);
  });

  it('is empty without finished instances', () => {
    expect(buildDropOffTrainingSet(byInstance(snap('open', 'active', 0, 0), snap('open', 'active', 1, 3)), new Map())).toEqual([]);
  });
});
