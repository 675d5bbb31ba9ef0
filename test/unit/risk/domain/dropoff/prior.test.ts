import type { JourneyFeatureSnapshot } from '../../../../../subgraphs/risk/domain/dropoff/journey-features';
import {
  DROP_OFF_BASE_RATE,
  RETRY_WEIGHT,
  SLOW_WEIGHT,
  STALL_WEIGHT,
  scoreDropOffPrior,
} from '../../../../../subgraphs/risk/domain/dropoff/prior';

const logit = (p: number) => Math.log(p / (1 - p));
const snapshot = (values: JourneyFeatureSnapshot['values'], describe: Record<string, string> = {}): JourneyFeatureSnapshot => ({
  values: { journey: 'kyc', step_progress: 0.5, step_index: 1, minutes_in_step: 10, minutes_since_start: 30, ...values },
  describe,
});

describe('scoreDropOffPrior', () => {
  it('scores the base rate with no retries, no stall and a usual pace', () => {
    const score = scoreDropOffPrior(snapshot({ retries: 0, stalled: 0, time_in_step_ratio: 0.8 }));
    expect(score.factors).toEqual([]);
    expect(score.probability).toBeCloseTo(DROP_OFF_BASE_RATE, 15);
  });

  it('treats missing retries and stall values as 0 and an unknown ratio as no slowness', () => {
    const score = scoreDropOffPrior(snapshot({ time_in_step_ratio: null }));
    expect(score.factors).toEqual([]);
    expect(score.probability).toBeCloseTo(DROP_OFF_BASE_RATE, 15);
  });

  it('adds slowness only when the time-in-step ratio is above 1', () => {
    expect(scoreDropOffPrior(snapshot({ retries: 0, stalled: 0, time_in_step_ratio: 1 })).factors).toEqual([]);
    const [slow] = scoreDropOffPrior(snapshot({ retries: 0, stalled: 0, time_in_step_ratio: 2.5 })).factors;
    expect(slow.factor).toBe('time_in_step_ratio');
    expect(slow.contribution).toBeCloseTo(SLOW_WEIGHT * Math.log(2.5), 15);
  });

  it('gives each factor its exact weight and sorts them by |contribution|', () => {
    const score = scoreDropOffPrior(
      snapshot({ retries: 2, stalled: 1, time_in_step_ratio: 3 }, { retries: '2 retries at this step', stalled: 'stalled at id_upload' }),
    );
    expect(score.factors).toEqual([
      { factor: 'stalled', contribution: STALL_WEIGHT, description: 'stalled at id_upload', evidence: [] },
      { factor: 'retries', contribution: RETRY_WEIGHT * 2, description: '2 retries at this step', evidence: [] },
      { factor: 'time_in_step_ratio', contribution: SLOW_WEIGHT * Math.log(3), description: 'time_in_step_ratio', evidence: [] },
    ]);
  });

  it('makes the contributions add up to logit(p) − logit(base)', () => {
    const score = scoreDropOffPrior(snapshot({ retries: 3, stalled: 1, time_in_step_ratio: 1.7 }));
    const sum = score.factors.reduce((total, f) => total + f.contribution, 0);
    expect(Math.abs(sum - (logit(score.probability) - logit(DROP_OFF_BASE_RATE)))).toBeLessThan(1e-12);
    expect(sum).toBeCloseTo(RETRY_WEIGHT * 3 + STALL_WEIGHT + SLOW_WEIGHT * Math.log(1.7), 12);
  });
});
