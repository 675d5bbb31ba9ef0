import { guardrailWorse } from '../../../../subgraphs/actions/domain/uplift/guardrail-test';
import { twoProportionPValue } from '../../../../subgraphs/actions/domain/uplift/two-proportion-test';

const arm = (events: number, customers: number) => ({ events, customers });

describe('guardrailWorse', () => {
  it.each([
    // by hand: 20/100 vs 8/100, p̄ = 28/200 = 0.14, se = √(0.14·0.86·(1/100 + 1/100)) = 0.049071,
    // z = 0.12/0.049071 = 2.44542, p = 1 − Φ(2.44542) = 0.0072342
    ['flags 20% treated vs 8% control', arm(20, 100), arm(8, 100), 2.4454174378176674, 0.007234228552558824, true],
    // z = 3.5355 (= 0.2/√(0.2·0.8·0.02)), p = 0.00020348
    ['flags 30% vs 10%', arm(30, 100), arm(10, 100), 3.535533905932737, 0.00020347600872248046, true],
    // z = 1.5515, p = 0.0604: worse-looking but not significant at 0.01
    ['does not flag 15% vs 8%', arm(15, 100), arm(8, 100), 1.5515382498671393, 0.060386374144833124, false],
    // one-sided: a treated arm better than control is never harm (p = 1 − Φ(−2.445) = 0.99277)
    ['does not flag a treated arm better than control', arm(8, 100), arm(20, 100), -2.4454174378176674, 0.9927657714474412, false],
  ])('%s', (_name, treated, control, _z, pValue, worse) => {
    const verdict = guardrailWorse(treated, control);
    expect(verdict.pValue).toBeCloseTo(pValue, 10);
    expect(verdict.worse).toBe(worse);
    expect(verdict.treatedRate).toBeCloseTo(treated.events / treated.customers, 12);
    expect(verdict.controlRate).toBeCloseTo(control.events / control.customers, 12);
    expect(verdict.reason).toContain(worse ? 'significantly more frequent' : 'no significant guardrail harm');
  });

  it('is half the two-sided pooled test when treated is worse', () => {
    const verdict = guardrailWorse(arm(56, 70), arm(48, 80));
    expect(verdict.pValue).toBeCloseTo(twoProportionPValue({ successes: 56, trials: 70 }, { successes: 48, trials: 80 }) / 2, 12);
  });

  it('concludes nothing below the minimum sample per arm, however large the difference', () => {
    const verdict = guardrailWorse(arm(29, 29), arm(0, 200));
    expect(verdict).toMatchObject({ worse: false, pValue: null, treatedRate: 1, controlRate: 0 });
    expect(verdict.reason).toContain('below the minimum sample of 30');
    expect(guardrailWorse(arm(10, 10), arm(0, 10), { minimumPerArm: 10 }).worse).toBe(true);
  });

  it('gives p = 1 when no arm varies, and names a broken option', () => {
    expect(guardrailWorse(arm(0, 100), arm(0, 100))).toMatchObject({ worse: false, pValue: 1 });
    expect(() => guardrailWorse(arm(1, 100), arm(0, 100), { alpha: 0 })).toThrow('guardrailWorse: alpha');
    expect(() => guardrailWorse(arm(101, 100), arm(0, 100))).toThrow('guardrailWorse: successes');
  });
});
