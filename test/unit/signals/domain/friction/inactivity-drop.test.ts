import { detectInactivityDrop, type ActivitySummary } from '../../../../../subgraphs/signals/domain/friction/inactivity-drop';
import { FRICTION_DEFAULTS } from '../../../../../subgraphs/signals/domain/friction/settings';
import { PROFILE } from './helpers';

const DAY = 86_400_000;
const now = new Date('2026-11-25T10:00:00Z');
const options = FRICTION_DEFAULTS.inactivityDrop;
const activity = (baselineCount: number, recentCount: number, historyDays = 90): ActivitySummary => ({
  profileId: PROFILE,
  baselineCount,
  recentCount,
  firstSeenAt: new Date(now.getTime() - historyDays * DAY),
  lastSeenAt: new Date(now.getTime() - 2 * DAY),
});

describe('detectInactivityDrop', () => {
  it.each([
    ['flags a daily user (4/day) gone nearly silent (1 event in 7 days)', activity(224, 1), true],
    ['flags a steady user (1/day) with nothing for a week', activity(56, 0), true],
    ['ignores a steady user keeping their pace', activity(224, 28), false],
    ['ignores a dip that chance explains (1/day baseline, 2 this week)', activity(56, 2), false],
    ['ignores a rare user (a few events a month) being quiet for a week', activity(8, 0), false],
    ['needs enough history: two weeks of heavy use then silence', activity(60, 0, 14 + 7), false],
  ])('%s', (_name, summary, flagged) => {
    expect(detectInactivityDrop(summary, options, now) !== null).toBe(flagged);
  });

  it('judges each customer against their own rate, not a global number', () => {
    // 3 events in a week: a collapse for a 20/day user, normal for a 0.5/day one
    expect(detectInactivityDrop(activity(56 * 20, 3), options, now)).not.toBeNull();
    expect(detectInactivityDrop(activity(28, 3), options, now)).toBeNull();
  });

  it('scales the baseline of a young profile to the days it was seen', () => {
    // 30 days of history: 23 baseline days at 3/day = 69 events, then 0 this week
    const finding = detectInactivityDrop(activity(69, 0, 30), options, now)!;
    expect(finding.evidence).toMatchObject({ baselineDays: 23, baselineRatePerDay: 3, expectedCount: 21, recentCount: 0 });
    expect(finding.severity).toBe(1);
  });

  it('keeps the numbers as evidence and reports an ongoing drop once per period', () => {
    const finding = detectInactivityDrop(activity(224, 1), options, now)!;
    expect(finding.evidence.summary).toMatch(/^1 events in the last 7 days against 28 expected from this customer's baseline of 4\/day \(p = /);
    expect(finding.evidence.pValue).toBeLessThan(1e-9);
    const later = detectInactivityDrop(activity(224, 1), options, new Date(now.getTime() + 60_000))!;
    expect(later.dedupeKey).toBe(finding.dedupeKey);
  });
});
