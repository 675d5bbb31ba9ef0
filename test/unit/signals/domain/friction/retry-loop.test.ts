import { detectRetryLoop, isFailureEvent } from '../../../../../subgraphs/signals/domain/friction/retry-loop';
import { FRICTION_DEFAULTS } from '../../../../../subgraphs/signals/domain/friction/settings';
import type { FrictionEvent } from '../../../../../subgraphs/signals/domain/friction/events';
import { ev, PROFILE } from './helpers';

const options = FRICTION_DEFAULTS.retryLoop;
const failed = (s: number) => ev('ID Upload Failed', s);
const succeeded = (s: number) => ev('ID Upload Succeeded', s);

/** Runs the detector with the last event as the trigger (the one whose job runs). */
const run = (events: FrictionEvent[], trigger = events[events.length - 1], extra = {}) =>
  detectRetryLoop({ profileId: PROFILE, trigger, events, ...extra }, options);

describe('detectRetryLoop', () => {
  it.each([
    ['flags three failures within five minutes', () => [failed(0), failed(60), failed(120)], true],
    ['flags three failures just inside the 10-minute window', () => [failed(0), failed(300), failed(600)], true],
    ['ignores failures spread over an hour', () => [failed(0), failed(1800), failed(3600)], false],
    ['ignores two failures', () => [failed(0), failed(60)], false],
    ['resets after a success: a retry after success is not a loop', () => [failed(0), succeeded(30), failed(90), failed(100)], false],
    ['treats "ID Uploaded" (same stem) as the success', () => [failed(0), failed(10), ev('ID Uploaded', 20), failed(30)], false],
    ['is not reset by unrelated events in between', () => [failed(0), ev('Screen Viewed', 30), failed(60), failed(90)], true],
    ['counts only the same failure event', () => [failed(0), ev('Selfie Upload Failed', 30), failed(60)], false],
    ['ignores a non-failure event as the trigger', () => [failed(0), failed(60), failed(120), ev('Button Clicked', 130)], false],
    ['ends a payment loop at Segment’s Order Completed', () => [ev('Payment Failed', 0), ev('Payment Failed', 20), ev('Order Completed', 30), ev('Payment Failed', 40)], false],
  ])('%s', (_name, events, flagged) => {
    expect(run(events()) !== null).toBe(flagged);
  });

  it('explains itself with numbers, event ids and a deterministic dedupe key', () => {
    const events = [failed(0), failed(100), failed(240)];
    const finding = run(events)!;
    expect(finding).toMatchObject({
      type: 'retry_loop',
      profileId: PROFILE,
      severity: 0.5,
      detectedAt: events[2].timestamp,
      evidence: { summary: '3 × "ID Upload Failed" in 4 min, no success in between', attempts: 3, eventName: 'ID Upload Failed', eventIds: events.map((e) => e.id) },
      dedupeKey: `retry_loop-${PROFILE}-id_upload_failed-${events[0].timestamp.getTime()}`,
    });
  });

  it('finds the same loop whatever order the events arrive in (out-of-order arrival)', () => {
    const events = [failed(0), failed(60), failed(120)];
    const inOrder = run(events, events[2]);
    // the earliest failure arrives last: its job sees all three and reports the same loop
    const late = run([events[2], events[1], events[0]], events[0]);
    expect(late?.dedupeKey).toBe(inOrder?.dedupeKey);
    expect(late?.evidence.eventIds).toEqual(inOrder?.evidence.eventIds);
  });

  it('does not report a loop again when a late, earlier failure shifts its start', () => {
    const [a, b, c, d] = [failed(0), failed(60), failed(120), failed(180)];
    const first = run([b, c, d], d)!;
    const reported = [{ start: new Date(first.evidence.windowStart as string), end: new Date(first.evidence.windowEnd as string), scope: 'ID Upload Failed' }];
    expect(run([a, b, c, d], a, { reported })).toBeNull();
    // …but a replay of the job that reported it reports the same key again (stored once)
    expect(run([b, c, d], d, { reported })?.dedupeKey).toBe(first.dedupeKey);
  });

  it('leaves failure events covered by a journey to the journey', () => {
    expect(run([failed(0), failed(60), failed(120)], undefined, { coveredEvents: ['ID Upload Failed'] })).toBeNull();
  });

  it('grows in severity with the attempts', () => {
    const events = [failed(0), failed(10), failed(20), failed(30), failed(40)];
    expect(run(events)!.severity).toBe(0.7);
  });

  it.each([
    ['ID Upload Failed', true],
    ['Payment Declined', true],
    ['KYC Rejected', true],
    ['Error Occurred', false],
    ['Failed Login Page', false],
    ['Order Completed', false],
  ])('classifies %s as a failure: %s', (name, failure) => {
    expect(isFailureEvent(name, options)).toBe(failure);
  });
});
