import { loadConfig } from '../../../subgraphs/common/config';

const base = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(40), DATA_DIR: '/tmp/foresight-config-test' };

describe('loadConfig: KPIs', () => {
  it('defaults the NPS survey to the demo’s `NPS Submitted` with its `score`', () => {
    expect(loadConfig(base).kpis).toEqual({ npsEvent: 'NPS Submitted', npsProperty: 'score' });
    expect(loadConfig({ ...base, KPI_NPS_EVENT: ' Survey Answered ', KPI_NPS_PROPERTY: 'nps rating' }).kpis).toEqual({ npsEvent: 'Survey Answered', npsProperty: 'nps rating' });
  });

  it.each([
    ['KPI_NPS_EVENT', ' '],
    ['KPI_NPS_PROPERTY', 'a"b'],
    ['KPI_NPS_PROPERTY', 'answers.nps'],
  ])('refuses %s %p, naming it', (key, value) => {
    expect(() => loadConfig({ ...base, [key]: value })).toThrow(new RegExp(`${key}: must`));
  });
});
