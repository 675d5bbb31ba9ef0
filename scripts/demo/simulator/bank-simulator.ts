import type { Random } from '../../../subgraphs/common/math/random';
import { drawCustomer, type Customer } from './customer';
import { normal, pick, poisson, streamFor } from './draws';
import { dailyHazard, GROUND_TRUTH } from './ground-truth';

const DAY = 86_400_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/** A Segment-shaped event, as `/v1/batch` takes it. */
export interface SimEvent {
  type: 'identify' | 'track' | 'screen';
  messageId: string;
  userId: string;
  timestamp: string;
  event?: string;
  name?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
}

export interface SimulatorOptions {
  seed: number;
  customers: number;
  /** Days simulated in all (history and live). */
  days: number;
  /** Sign-ups are spread over the first `signUpDays` days. */
  signUpDays: number;
  /** The injected clock: the time of day 0, in ms since the epoch. */
  startMs: number;
}

export interface SimulatedDay {
  day: number;
  events: SimEvent[];
  signUps: number;
  closed: number;
}

/** What only the simulator knows: who was treated, and what the playbook truly did for them. */
export interface GroundTruthReport {
  customers: number;
  closedAccounts: number;
  treated: number;
  /**
   * The true average effect on the treated: mean over treated customers of P(close from the email
   * to the end | not treated) − P(close … | treated), given their friction paths. Rate points, 0..1.
   */
  averageEffectOnTreated: number;
  /** The same, split by segment (the effect is heterogeneous). */
  effectBySegment: Record<string, { treated: number; averageEffect: number }>;
}

interface CustomerState {
  behaviour: Random;
  churn: Random;
  response: Random;
  load: number;
  closedDay: number | null;
  /** Day the onboarding completes (null: not yet planned); Infinity: never. */
  onboardedDay: number | null;
  /** First day the playbook's effect applies (the day after the email was seen). */
  treatedFrom: number | null;
  /** Survival products from `treatedFrom` on, without and with the effect. */
  survivalUntreated: number;
  survivalTreated: number;
  openAtTreatment: boolean;
  emailOpenDay: number | null;
  seq: number;
}

/**
 * A retail bank's customers, day by day: sign-ups (identify with traits, time zone included), an
 * onboarding journey with ID-upload retries and stalls, app sessions (screens), card purchases
 * with revenue, declined payments, support tickets, NPS answers, and account closures drawn from
 * the hidden process of {@link GROUND_TRUTH}. Pure and reproducible: a seed, and a clock injected
 * as the time of day 0; every customer draws from its own streams, so treating one customer never
 * changes what another does. The caller says whom the playbook reached ({@link markTreated}).
 */
export class BankSimulator {
  readonly customers: readonly Customer[];
  private readonly state: CustomerState[];
  private readonly byUserId = new Map<string, number>();
  private today = 0;

  constructor(private readonly opts: SimulatorOptions) {
    if (!(opts.customers >= 1 && opts.days >= 1 && opts.signUpDays >= 1 && opts.signUpDays <= opts.days)) {
      throw new RangeError(`BankSimulator: need customers >= 1 and 1 <= signUpDays <= days (customers=${opts.customers}, days=${opts.days}, signUpDays=${opts.signUpDays})`);
    }
    this.customers = Array.from({ length: opts.customers }, (_, i) => drawCustomer(streamFor(opts.seed, i, 0), i, opts.signUpDays));
    this.state = this.customers.map((c, i) => {
      this.byUserId.set(c.userId, i);
      return {
        behaviour: streamFor(opts.seed, i, 1),
        churn: streamFor(opts.seed, i, 2),
        response: streamFor(opts.seed, i, 3),
        load: 0,
        closedDay: null,
        onboardedDay: null,
        treatedFrom: null,
        survivalUntreated: 1,
        survivalTreated: 1,
        openAtTreatment: false,
        emailOpenDay: null,
        seq: 0,
      };
    });
  }

  /** The next day to simulate. */
  get day(): number {
    return this.today;
  }

  /** The simulated time of `ms` after the start of `day`. */
  timeOf(day: number, ms: number): Date {
    return new Date(this.opts.startMs + day * DAY + ms);
  }

  /** Simulates the next day of every customer; returns its events in time order. */
  nextDay(): SimulatedDay {
    const day = this.today++;
    if (day >= this.opts.days) throw new RangeError(`BankSimulator.nextDay: the simulation has ${this.opts.days} days`);
    const events: SimEvent[] = [];
    let signUps = 0;
    let closed = 0;
    for (let i = 0; i < this.customers.length; i++) {
      const c = this.customers[i];
      if (day < c.signUpDay) continue;
      const s = this.state[i];
      const out: SimEvent[] = [];
      const emit = (e: Omit<SimEvent, 'messageId' | 'userId'>) => {
        // behaviour goes on after a closure (latent) so the counterfactual stays defined; only what is seen is emitted
        if (s.closedDay === null) out.push({ ...e, userId: c.userId, messageId: `demo-${this.opts.seed}-${c.userId}-${s.seq}` });
        s.seq++;
      };
      if (day === c.signUpDay) {
        signUps++;
        this.signUp(c, s, day, emit);
      }
      if (s.onboardedDay !== null && day === s.onboardedDay && day !== c.signUpDay) this.finishOnboarding(s, day, 9 * HOUR, emit);
      if (s.onboardedDay !== null && day > s.onboardedDay) this.dailyLife(c, s, day, emit);
      if (s.emailOpenDay === day) emit({ type: 'track', event: 'Email Opened', properties: { step: 'email', campaign: 'win-back' }, timestamp: this.timeOf(day, 8 * HOUR).toISOString() });
      if (this.closes(c, s, day)) {
        emit({ type: 'track', event: 'Account Closed', properties: { reason: pick(s.churn, ['switching bank', 'fees', 'service', 'moving abroad']) }, timestamp: this.timeOf(day, 23 * HOUR).toISOString() });
        s.closedDay = day;
        closed++;
      }
      s.load *= GROUND_TRUTH.loadDecayPerDay;
      events.push(...out);
    }
    events.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    return { day, events, signUps, closed };
  }

  /**
   * Records that the playbook reached these customers (its email arrived) during the last simulated
   * day: its effect applies from the next day on. Some open the email the day after. Returns the
   * user ids newly treated (a customer is treated once).
   */
  markTreated(userIds: readonly string[]): string[] {
    const fresh: string[] = [];
    for (const userId of userIds) {
      const i = this.byUserId.get(userId);
      if (i === undefined || this.state[i].treatedFrom !== null) continue;
      const s = this.state[i];
      s.treatedFrom = this.today;
      s.openAtTreatment = s.closedDay === null;
      if (s.response() < 0.55) s.emailOpenDay = this.today;
      fresh.push(userId);
    }
    return fresh;
  }

  /** Whether the customer's account is open now. */
  isOpen(userId: string): boolean {
    const i = this.byUserId.get(userId);
    return i !== undefined && this.state[i].closedDay === null && this.customers[i].signUpDay < this.today;
  }

  /** The ground truth so far (call it after the last day). */
  groundTruth(): GroundTruthReport {
    let treated = 0;
    let effectSum = 0;
    const bySegment: Record<string, { treated: number; sum: number }> = {};
    for (let i = 0; i < this.customers.length; i++) {
      const s = this.state[i];
      if (s.treatedFrom === null) continue;
      // closed before the email: nothing left to save, in either arm
      const effect = s.openAtTreatment ? s.survivalTreated - s.survivalUntreated : 0;
      treated++;
      effectSum += effect;
      const seg = (bySegment[this.customers[i].segment] ??= { treated: 0, sum: 0 });
      seg.treated++;
      seg.sum += effect;
    }
    return {
      customers: this.customers.length,
      closedAccounts: this.state.filter((s) => s.closedDay !== null).length,
      treated,
      averageEffectOnTreated: treated ? effectSum / treated : 0,
      effectBySegment: Object.fromEntries(Object.entries(bySegment).map(([k, v]) => [k, { treated: v.treated, averageEffect: v.sum / v.treated }])),
    };
  }

  private signUp(c: Customer, s: CustomerState, day: number, emit: (e: Omit<SimEvent, 'messageId' | 'userId'>) => void): void {
    const r = s.behaviour;
    let t = 7 * HOUR + r() * 12 * HOUR;
    const at = () => this.timeOf(day, t).toISOString();
    emit({ type: 'identify', traits: { email: c.email, phone: c.phone, firstName: c.firstName, timezone: c.timezone, segment: c.segment, plan: c.segment === 'affluent' ? 'premium' : 'standard' }, timestamp: at() });
    t += MINUTE;
    emit({ type: 'track', event: 'Application Started', properties: { channel: pick(r, ['ios', 'android']) }, timestamp: at() });
    // ID upload: failures first; three or more in minutes is the retry loop the platform should see
    const failures = r() < 0.15 + 0.45 * c.proneness ? pick(r, [1, 2, 3, 4], [0.3, 0.2, 0.3, 0.2]) : 0;
    for (let k = 0; k < failures; k++) {
      t += 2 * MINUTE;
      emit({ type: 'track', event: 'ID Upload Failed', properties: { reason: pick(r, ['blurry', 'glare', 'expired']) }, timestamp: at() });
    }
    if (failures >= 3) s.load += GROUND_TRUTH.load.retryLoop;
    // a stall: the customer gives up for days before coming back to finish (the journey's SLA passes)
    if (r() < 0.05 + 0.2 * c.proneness) {
      s.onboardedDay = day + 3 + Math.floor(r() * 6);
      s.load += GROUND_TRUTH.load.stall;
      return;
    }
    s.onboardedDay = day;
    this.finishOnboarding(s, day, t + 3 * MINUTE, emit);
  }

  private finishOnboarding(s: CustomerState, day: number, t: number, emit: (e: Omit<SimEvent, 'messageId' | 'userId'>) => void): void {
    emit({ type: 'track', event: 'ID Uploaded', timestamp: this.timeOf(day, t).toISOString() });
    emit({ type: 'track', event: 'Account Funded', properties: { amount: Math.round(50 + s.behaviour() * 450) }, timestamp: this.timeOf(day, t + 20 * MINUTE).toISOString() });
    emit({ type: 'track', event: 'Card Activated', timestamp: this.timeOf(day, t + 2 * HOUR).toISOString() });
  }

  private dailyLife(c: Customer, s: CustomerState, day: number, emit: (e: Omit<SimEvent, 'messageId' | 'userId'>) => void): void {
    const r = s.behaviour;
    const engagement = Math.exp(-GROUND_TRUTH.disengagementPerLoad * s.load);
    const stamp = () => this.timeOf(day, 7 * HOUR + r() * 15 * HOUR).toISOString();
    for (let k = poisson(r, c.sessionRate * engagement); k > 0; k--) {
      emit({ type: 'screen', name: pick(r, ['Home', 'Accounts', 'Payments', 'Cards', 'Savings']), timestamp: stamp() });
    }
    for (let k = poisson(r, c.purchaseRate * engagement); k > 0; k--) {
      const revenue = Math.round(c.meanBasket * Math.exp(0.5 * normal(r)) * 100) / 100;
      emit({ type: 'track', event: 'Order Completed', properties: { revenue, currency: 'EUR', method: 'card' }, timestamp: stamp() });
    }
    const prone = 0.3 + c.proneness;
    if (r() < 0.004 * prone) {
      const t = 7 * HOUR + r() * 14 * HOUR;
      for (let k = 0; k < 3; k++) emit({ type: 'track', event: 'Payment Declined', properties: { code: 'do_not_honor' }, timestamp: this.timeOf(day, t + k * MINUTE).toISOString() });
      s.load += GROUND_TRUTH.load.declinedPayments;
    }
    if (r() < 0.004 * prone + 0.01 * s.load) {
      const tickets = r() < 0.4 ? 3 : 1; // three within a week is a support burst
      for (let k = 0; k < tickets; k++) emit({ type: 'track', event: 'Ticket Created', properties: { topic: pick(r, ['card', 'transfer', 'fees', 'app']) }, timestamp: this.timeOf(day, (9 + 3 * k) * HOUR).toISOString() });
      s.load += GROUND_TRUTH.load.ticket * tickets;
    }
    if (r() < 0.012) {
      const score = Math.max(0, Math.min(10, Math.round(8.6 - 2.2 * s.load + 1.3 * normal(r))));
      emit({ type: 'track', event: 'NPS Submitted', properties: { score }, timestamp: stamp() });
      if (score <= 6) s.load += GROUND_TRUTH.load.detractor;
    }
  }

  /** Draws today's closure (one uniform a day, whether open or not: the streams stay aligned). */
  private closes(c: Customer, s: CustomerState, day: number): boolean {
    const u = s.churn();
    if (day <= c.signUpDay) return false;
    const untreated = dailyHazard(s.load);
    const treatedNow = s.treatedFrom !== null && day >= s.treatedFrom;
    if (treatedNow) {
      s.survivalUntreated *= 1 - untreated;
      s.survivalTreated *= 1 - dailyHazard(s.load, c.effect);
    }
    if (s.closedDay !== null) return false;
    return u < (treatedNow ? dailyHazard(s.load, c.effect) : untreated);
  }
}
