import { matchesAlertRaised } from '../../../../subgraphs/actions/domain/alert-raised-filter';
import { decodeAlertCursor, encodeAlertCursor } from '../../../../subgraphs/actions/domain/alert-cursor';
import { readRaiseAlertsJob } from '../../../../subgraphs/actions/domain/read-raise-alerts-job';

const P = '01a21226-0000-7000-8000-000000000001';
const change = { profileId: P, scoreId: 's1', kind: 'churn', score: 80, previousScore: 60, bucket: 'high', previousBucket: 'medium', clv: 900, revenueAtRisk: 400, reasons: [], segmentIds: ['seg'] };

describe('readRaiseAlertsJob', () => {
  it('reads a batch and rejects malformed changes by index, keeping the others', () => {
    const work = readRaiseAlertsJob({ tenantId: 't', lane: 'history', changes: [change, { ...change, score: 'high' }, null, { ...change, scoreId: 's2' }] });
    expect(work.lane).toBe('history');
    expect(work.changes.map((c) => c.scoreId)).toEqual(['s1', 's2']);
    expect(work.rejected).toEqual([
      { index: 1, reason: 'score must be a number from 0 to 100' },
      { index: 2, reason: 'not an object' },
    ]);
  });

  it('reads the single crossing queued before batches, with no kind', () => {
    expect(readRaiseAlertsJob({ tenantId: 't', profileId: P, scoreId: 's1', score: 81, bucket: 'high', previousBucket: 'medium' })).toEqual({
      tenantId: 't',
      lane: 'live',
      rejected: [],
      changes: [{ profileId: P, scoreId: 's1', kind: null, score: 81, previousScore: null, bucket: 'high', previousBucket: 'medium', clv: null, revenueAtRisk: null, reasons: [], segmentIds: [] }],
    });
  });

  it.each([
    ['no tenant', { changes: [change] }],
    ['neither form', { tenantId: 't' }],
    ['a single crossing without a profile', { tenantId: 't', scoreId: 's', score: 1, bucket: 'low' }],
  ])('throws for %s', (_name, data) => {
    expect(() => readRaiseAlertsJob(data)).toThrow(RangeError);
  });
});

describe('matchesAlertRaised', () => {
  const alert = { team: 'retention', severity: 'high', ruleId: 'r1' };
  it.each<[string, object, boolean]>([
    ['passes with no filter', {}, true],
    ['matches the team', { team: 'retention' }, true],
    ['refuses another team', { team: 'billing' }, false],
    ['passes at least as severe', { minSeverity: 'medium' }, true],
    ['passes the same severity', { minSeverity: 'high' }, true],
    ['refuses less severe', { minSeverity: 'critical' }, false],
    ['matches the rule', { ruleId: 'r1', team: 'retention' }, true],
    ['refuses another rule', { ruleId: 'r2' }, false],
  ])('%s', (_name, criteria, ok) => {
    expect(matchesAlertRaised(alert, criteria)).toBe(ok);
  });
});

describe('encodeAlertCursor', () => {
  it('round-trips an alert id and refuses anything else', () => {
    const id = '01a21226-0000-7000-8000-000000000001';
    expect(decodeAlertCursor(encodeAlertCursor(id))).toBe(id);
    expect(decodeAlertCursor('not-a-cursor')).toBeNull();
    expect(decodeAlertCursor(Buffer.from(`p:${id}`).toString('base64url'))).toBeNull();
  });
});
