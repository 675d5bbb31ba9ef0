import { BankSimulator, type SimEvent } from '../../../../scripts/demo/simulator/bank-simulator';
import { dailyHazard, GROUND_TRUTH } from '../../../../scripts/demo/simulator/ground-truth';

const START = Date.UTC(2026, 0, 5);
const simulator = (seed = 7, customers = 400, days = 70) => new BankSimulator({ seed, customers, days, signUpDays: days - 14, startMs: START });

function runAll(sim: BankSimulator, days: number, treatOn?: (day: number) => string[]): SimEvent[] {
  const events: SimEvent[] = [];
  for (let d = 0; d < days; d++) {
    events.push(...sim.nextDay().events);
    if (treatOn) sim.markTreated(treatOn(d));
  }
  return events;
}

describe('BankSimulator', () => {
  it('is reproducible from its seed, and another seed gives another bank', () => {
    const a = runAll(simulator(7), 70);
    expect(runAll(simulator(7), 70)).toEqual(a);
    expect(runAll(simulator(8), 70)).not.toEqual(a);
  });

  it('emits each day in time order, on the injected clock, with unique message ids', () => {
    const sim = simulator();
    const all: SimEvent[] = [];
    for (let d = 0; d < 70; d++) {
      const { events } = sim.nextDay();
      const times = events.map((e) => Date.parse(e.timestamp));
      expect(times).toEqual([...times].sort((x, y) => x - y));
      for (const t of times) {
        expect(t).toBeGreaterThanOrEqual(START + d * 86_400_000);
        expect(t).toBeLessThan(START + (d + 1) * 86_400_000);
      }
      all.push(...events);
    }
    expect(new Set(all.map((e) => e.messageId)).size).toBe(all.length);
    expect(() => sim.nextDay()).toThrow(RangeError);
  });

  it('signs every customer up with traits (time zone included) and runs the onboarding journey with ID-upload retries', () => {
    const events = runAll(simulator(), 70);
    const identifies = events.filter((e) => e.type === 'identify');
    expect(identifies).toHaveLength(400);
    for (const e of identifies) expect(e.traits).toEqual(expect.objectContaining({ timezone: expect.stringMatching(/^[A-Z][a-z]+\/[A-Za-z_]+$/), email: expect.stringContaining('@'), segment: expect.any(String) }));
    const names = new Set(events.map((e) => e.event ?? e.type));
    for (const name of ['Application Started', 'ID Upload Failed', 'ID Uploaded', 'Card Activated', 'Order Completed', 'Ticket Created', 'NPS Submitted', 'Account Closed', 'screen']) expect(names).toContain(name);
    const purchases = events.filter((e) => e.event === 'Order Completed');
    expect(purchases.every((e) => typeof e.properties?.revenue === 'number' && (e.properties.revenue as number) > 0)).toBe(true);
  });

  it('closes accounts more often after friction (the hidden process the models must find)', () => {
    const events = runAll(simulator(3, 2000, 84), 84);
    const byUser = new Map<string, SimEvent[]>();
    for (const e of events) byUser.set(e.userId, [...(byUser.get(e.userId) ?? []), e]);
    const closedShare = (users: SimEvent[][]) => users.filter((u) => u.some((e) => e.event === 'Account Closed')).length / users.length;
    const users = [...byUser.values()];
    const retried = users.filter((u) => u.filter((e) => e.event === 'ID Upload Failed').length >= 3);
    const smooth = users.filter((u) => !u.some((e) => ['ID Upload Failed', 'Payment Declined', 'Ticket Created'].includes(e.event ?? '')));
    expect(retried.length).toBeGreaterThan(50);
    expect(closedShare(retried)).toBeGreaterThan(2 * closedShare(smooth));
  });

  it('never changes what an untreated customer does when others are treated (own random streams)', () => {
    const treatedIds = ['c-00001', 'c-00002', 'c-00003', 'c-00010', 'c-00042'];
    const plain = runAll(simulator(), 70);
    const treated = runAll(simulator(), 70, (d) => (d === 30 ? treatedIds : []));
    const others = (events: SimEvent[]) => events.filter((e) => !treatedIds.includes(e.userId));
    expect(others(treated)).toEqual(others(plain));
  });

  it('knows the true effect on the treated: positive, none for the segment it does not help, and each customer treated once', () => {
    const sim = simulator(11, 1500, 84);
    const ids = sim.customers.map((c) => c.userId);
    runAll(sim, 84, (d) => (d === 40 ? ids : []));
    expect(sim.markTreated(ids)).toEqual([]);
    const truth = sim.groundTruth();
    expect(truth.treated).toBe(1500);
    expect(truth.averageEffectOnTreated).toBeGreaterThan(0);
    expect(truth.averageEffectOnTreated).toBeLessThan(1);
    expect(truth.effectBySegment.affluent.averageEffect).toBe(0);
    expect(truth.effectBySegment.student.averageEffect).toBeGreaterThan(truth.effectBySegment.salaried.averageEffect);
  });

  it('sends Email Opened for some of the treated, on the day after', () => {
    const sim = simulator();
    const ids = sim.customers.map((c) => c.userId);
    runAll(sim, 40);
    sim.markTreated(ids);
    const opened = sim.nextDay().events.filter((e) => e.event === 'Email Opened');
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((e) => e.properties?.step === 'email')).toBe(true);
  });

  it('refuses impossible options', () => {
    expect(() => new BankSimulator({ seed: 1, customers: 0, days: 10, signUpDays: 5, startMs: START })).toThrow('customers >= 1');
    expect(() => new BankSimulator({ seed: 1, customers: 5, days: 10, signUpDays: 11, startMs: START })).toThrow(RangeError);
  });
});

describe('dailyHazard', () => {
  it('grows with the friction load, is capped, and is cut by the effect', () => {
    expect(dailyHazard(0)).toBeCloseTo(GROUND_TRUTH.baseHazardPerDay);
    expect(dailyHazard(1)).toBeGreaterThan(dailyHazard(0.5));
    expect(dailyHazard(100)).toBe(GROUND_TRUTH.maxHazardPerDay);
    expect(dailyHazard(1, 0.4)).toBeCloseTo(dailyHazard(1) * 0.6);
    expect(dailyHazard(1, 0)).toBe(dailyHazard(1));
  });

  it('refuses a negative load or an effect outside [0, 1]', () => {
    expect(() => dailyHazard(-1)).toThrow('dailyHazard: load must be >= 0 (load=-1)');
    expect(() => dailyHazard(1, 1.5)).toThrow('dailyHazard: effect must be in [0, 1] (effect=1.5)');
  });
});
