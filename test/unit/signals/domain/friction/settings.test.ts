import { FRICTION_DEFAULTS, resolveFrictionConfig } from '../../../../../subgraphs/signals/domain/friction/settings';

describe('resolveFrictionConfig', () => {
  it('returns the defaults without overrides', () => {
    expect(resolveFrictionConfig({}).config).toEqual(FRICTION_DEFAULTS);
    expect(resolveFrictionConfig(null).config).toEqual(FRICTION_DEFAULTS);
  });

  it('merges nested overrides key by key and replaces lists', () => {
    const { config } = resolveFrictionConfig({
      retryLoop: { minFailures: 4 },
      supportBurst: { events: ['Zendesk Ticket Opened'] },
      negativeFeedback: { nps: { scoreProperty: 'value' } },
    });
    expect(config?.retryLoop).toEqual({ ...FRICTION_DEFAULTS.retryLoop, minFailures: 4 });
    expect(config?.supportBurst.events).toEqual(['Zendesk Ticket Opened']);
    expect(config?.negativeFeedback.nps).toEqual({ ...FRICTION_DEFAULTS.negativeFeedback.nps, scoreProperty: 'value' });
    expect(config?.negativeFeedback.csat).toEqual(FRICTION_DEFAULTS.negativeFeedback.csat);
  });

  it.each([
    [{ retryLoop: { minFailure: 4 } }, 'retryLoop.minFailure: unknown setting'],
    [{ retryLoop: { minFailures: '4' } }, 'retryLoop.minFailures: must be a number'],
    [{ retryLoop: { windowMs: 0 } }, 'retryLoop.windowMs: must be positive'],
    [{ retryLoop: { failurePattern: '(' } }, 'retryLoop.failurePattern: not a valid regular expression'],
    [{ supportBurst: { events: 'Ticket Created' } }, 'supportBurst.events: must be a list of non-empty strings'],
    [{ inactivityDrop: { alpha: 2 } }, 'inactivityDrop.alpha: must be between 0 and 1 (exclusive)'],
    [{ rageClick: true }, 'rageClick: must be an object'],
    [{ errorBurst: { enabled: 'no' } }, 'errorBurst.enabled: must be a boolean'],
  ])('refuses %j', (overrides, problem) => {
    const result = resolveFrictionConfig(overrides);
    expect(result.config).toBeNull();
    expect(result.problems).toContain(problem);
  });

  it('does not change the defaults it merges over', () => {
    resolveFrictionConfig({ retryLoop: { minFailures: 9 } });
    expect(FRICTION_DEFAULTS.retryLoop.minFailures).toBe(3);
  });
});
