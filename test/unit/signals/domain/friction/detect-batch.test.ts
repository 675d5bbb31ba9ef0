import { batchReads, detectBatch, uniqueFindings, type BatchTrigger } from '../../../../../subgraphs/signals/domain/friction/detect-batch';
import type { FrictionEvent } from '../../../../../subgraphs/signals/domain/friction/events';
import type { FrictionFinding } from '../../../../../subgraphs/signals/domain/friction/finding';
import { FRICTION_DEFAULTS } from '../../../../../subgraphs/signals/domain/friction/settings';
import { ev, PROFILE, T0 } from './helpers';

const OTHER = '01a21226-0000-7000-8000-0000000000bb';
const MIN = 60;
const trigger = (event: FrictionEvent, profileId = PROFILE, journeyFindings: FrictionFinding[] = []): BatchTrigger => ({ profileId, event, journeyFindings });
const byProfile = (entries: [string, FrictionEvent[]][]) => new Map(entries.map(([p, events]) => [p, [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())]));
const context = (events: Map<string, FrictionEvent[]>, extra: Partial<Parameters<typeof detectBatch>[1]> = {}) => ({
  config: FRICTION_DEFAULTS,
  journeyFailureEvents: [],
  events,
  reported: [],
  ...extra,
});
const types = (perTrigger: FrictionFinding[][]) => perTrigger.map((found) => found.map((f) => f.type));

describe('batchReads', () => {
  it.each([
    ['nothing for events no windowed detector fires on', [trigger(ev('Screen Viewed', 0)), trigger(ev('NPS Submitted', 0, { score: 1 }))], [], []],
    [
      'one range per fired detector, spanning every trigger’s window, for the triggers’ profiles',
      [trigger(ev('ID Upload Failed', 0)), trigger(ev('ID Upload Failed', 5 * MIN), OTHER), trigger(ev('Screen Viewed', 0), '01a21226-0000-7000-8000-0000000000cc')],
      [{ from: new Date(T0 - 10 * MIN * 1000), to: new Date(T0 + 15 * MIN * 1000), names: null }],
      [PROFILE, OTHER],
    ],
    [
      'names only for the named detectors',
      [trigger(ev('Ticket Created', 0))],
      [{ from: new Date(T0 - 7 * 86_400_000), to: new Date(T0 + 7 * 86_400_000), names: ['Ticket Created'] }],
      [PROFILE],
    ],
  ])('%s', (_name, triggers, events, profileIds) => {
    const reads = batchReads(triggers, FRICTION_DEFAULTS);
    expect(reads.events).toEqual(events);
    expect(reads.profileIds).toEqual(profileIds);
    expect(reads.signals.map((s) => s.type)).toEqual(events.length ? [events[0].names ? 'support_burst' : 'retry_loop'] : []);
  });
});

describe('detectBatch', () => {
  it('finds a retry loop for every trigger of its run, one finding once deduped', () => {
    const events = [ev('ID Upload Failed', 0), ev('ID Upload Failed', 60), ev('ID Upload Failed', 120)];
    const found = detectBatch(events.map((e) => trigger(e)), context(byProfile([[PROFILE, events]])));
    expect(types(found)).toEqual([['retry_loop'], ['retry_loop'], ['retry_loop']]);
    expect(uniqueFindings(found)).toHaveLength(1);
  });

  it('cuts each trigger’s own window out of the batch read (an older failure does not start the run)', () => {
    // per event, the trigger at 0 sees [-10 min, +10 min]: the three failures from -4 min form its loop
    const stored = [ev('ID Upload Failed', -12 * MIN), ev('ID Upload Failed', -4 * MIN), ev('ID Upload Failed', -3 * MIN)];
    const last = ev('ID Upload Failed', 0);
    const [found] = detectBatch([trigger(last)], context(byProfile([[PROFILE, [...stored, last]]])));
    expect(found).toEqual([expect.objectContaining({ type: 'retry_loop', evidence: expect.objectContaining({ attempts: 3 }) })]);
  });

  it('keeps profiles apart', () => {
    const mine = [ev('Error Occurred', 0), ev('Error Occurred', 1), ev('Error Occurred', 2)];
    const theirs = [ev('Error Occurred', 3), ev('Error Occurred', 4)];
    const found = detectBatch([...mine.map((e) => trigger(e)), ...theirs.map((e) => trigger(e, OTHER))], context(byProfile([[PROFILE, mine], [OTHER, theirs]])));
    expect(found.flat()).toEqual([]);
  });

  it.each([
    ['a failure a journey watches', { journeyFailureEvents: ['ID Upload Failed'] }, []],
    ['an overlapping loop already reported', { reported: [{ profileId: PROFILE, type: 'retry_loop', detectedAt: new Date(T0), evidence: { windowStart: new Date(T0 - 30_000).toISOString(), windowEnd: new Date(T0 + 60_000).toISOString(), eventName: 'ID Upload Failed' } }] }, []],
    ['a loop reported for another failure', { reported: [{ profileId: PROFILE, type: 'retry_loop', detectedAt: new Date(T0), evidence: { windowStart: new Date(T0 - 30_000).toISOString(), windowEnd: new Date(T0 + 60_000).toISOString(), eventName: 'Payment Failed' } }] }, ['retry_loop']],
  ])('leaves alone %s', (_name, extra, expected) => {
    const events = [ev('ID Upload Failed', 0), ev('ID Upload Failed', 60), ev('ID Upload Failed', 120)];
    expect(detectBatch([trigger(events[2])], context(byProfile([[PROFILE, events]]), extra))[0].map((f) => f.type)).toEqual(expected);
  });

  it('returns a trigger’s journey findings first and lets them cover its failure', () => {
    const events = [ev('ID Upload Failed', 0), ev('ID Upload Failed', 60), ev('ID Upload Failed', 120), ev('NPS Submitted', 130, { score: 2 })];
    const journeyLoop: FrictionFinding = {
      type: 'retry_loop',
      profileId: PROFILE,
      severity: 0.5,
      detectedAt: events[2].timestamp,
      evidence: { summary: 'journey loop', eventIds: events.slice(0, 3).map((e) => e.id) },
      dedupeKey: 'retry_loop-journey',
      journeyInstanceId: 'i1',
    };
    const found = detectBatch([trigger(events[2], PROFILE, [journeyLoop]), trigger(events[3])], context(byProfile([[PROFILE, events]])));
    expect(found.map((f) => f.map((x) => x.dedupeKey))).toEqual([['retry_loop-journey'], [expect.stringMatching(/^negative_feedback-/)]]);
  });

  it('sees the findings of earlier triggers of the batch as reported (a later, overlapping run is not reported again)', () => {
    // 3 tickets, then a 4th just over a week after the first: its own window holds tickets 2–4,
    // a run that overlaps the first burst (a different start, so a different dedupe key)
    const tickets = [ev('Ticket Created', 0), ev('Ticket Created', 3600), ev('Ticket Created', 7200), ev('Ticket Created', 7 * 86_400 + 1800)];
    const events = byProfile([[PROFILE, tickets]]);
    expect(types(detectBatch([trigger(tickets[3])], context(events)))).toEqual([['support_burst']]);
    expect(types(detectBatch(tickets.map((t) => trigger(t)), context(events)))).toEqual([['support_burst'], ['support_burst'], ['support_burst'], []]);
  });

  it('gives an unnamed event (identify) only its journey findings', () => {
    const identify = { ...ev('x', 0), name: null };
    expect(detectBatch([trigger(identify)], context(new Map()))).toEqual([[]]);
  });
});
