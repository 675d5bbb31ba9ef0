import { decideDataWait, type DataArrival } from '../../../../../subgraphs/risk/domain/training/data-wait';

const REQUESTED = Date.parse('2026-12-02T03:00:00Z');
const MAX_WAIT = 600_000;
const arrived: DataArrival = { handedOnUntil: REQUESTED + 500, recordActivityWaiting: 0, recordActivityInFlight: 0 };

describe('decideDataWait', () => {
  it.each<[string, Partial<DataArrival>, number, 'train' | 'wait', boolean | null]>([
    ['everything handed on and taken in', {}, 1_000, 'train', true],
    ['the watermark exactly at the request', { handedOnUntil: REQUESTED }, 1_000, 'train', true],
    ['events received before the request not handed on yet', { handedOnUntil: REQUESTED - 1 }, 1_000, 'wait', null],
    ['no watermark published (Redis lost it, signals not swept yet)', { handedOnUntil: null }, 1_000, 'wait', null],
    ['record-activity jobs of the tenant waiting', { recordActivityWaiting: 3 }, 1_000, 'wait', null],
    ['a record-activity job of the tenant running', { recordActivityInFlight: 1 }, 1_000, 'wait', null],
    ['still behind once the wait is over: trains, not caught up', { handedOnUntil: REQUESTED - 1, recordActivityWaiting: 2 }, MAX_WAIT, 'train', false],
  ])('%s', (_name, change, waited, action, caughtUp) => {
    const decision = decideDataWait({ ...arrived, ...change }, REQUESTED, REQUESTED + waited, MAX_WAIT);
    expect(decision.action).toBe(action);
    if (decision.action === 'train') {
      expect(decision.report.caughtUp).toBe(caughtUp);
      expect(decision.report.waitedMs).toBe(waited);
      expect(decision.report.reasons.length > 0).toBe(!caughtUp);
    } else {
      expect(decision.reasons.length).toBeGreaterThan(0);
      expect(decision.waitedMs).toBe(waited);
    }
  });

  it('trains at once when no wait is allowed (max 0), saying what was missing', () => {
    const decision = decideDataWait({ ...arrived, handedOnUntil: null }, REQUESTED, REQUESTED, 0);
    expect(decision).toMatchObject({ action: 'train', report: { caughtUp: false, handedOnUntil: null } });
  });
});
