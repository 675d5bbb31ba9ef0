import { detectErrorBurst, detectRageClick, detectSupportBurst } from '../../../../../subgraphs/signals/domain/friction/bursts';
import type { FrictionEvent } from '../../../../../subgraphs/signals/domain/friction/events';
import { FRICTION_DEFAULTS } from '../../../../../subgraphs/signals/domain/friction/settings';
import { ev, PROFILE } from './helpers';

const DAY = 86_400;
const input = (events: FrictionEvent[], trigger = events[events.length - 1]) => ({ profileId: PROFILE, trigger, events });
const ticket = (s: number) => ev('Ticket Created', s);
const error = (s: number, message = 'Network timeout') => ev('Error Occurred', s, { message });
const click = (s: number, element = '#submit') => ev('Element Clicked', s, { element });

describe('detectSupportBurst', () => {
  it.each([
    ['flags three tickets within a week', () => [ticket(0), ticket(2 * DAY), ticket(6 * DAY)], true],
    ['ignores three tickets over two weeks', () => [ticket(0), ticket(7 * DAY), ticket(14 * DAY)], false],
    ['ignores two tickets', () => [ticket(0), ticket(60)], false],
    ['ignores other events as the trigger', () => [ticket(0), ticket(1), ticket(2), ev('Ticket Closed', 3)], false],
  ])('%s', (_name, events, flagged) => {
    expect(detectSupportBurst(input(events()), FRICTION_DEFAULTS.supportBurst) !== null).toBe(flagged);
  });

  it('counts a tenant’s own ticket event', () => {
    const options = { ...FRICTION_DEFAULTS.supportBurst, events: ['Zendesk Ticket Opened'], minEvents: 2 };
    const events = [ev('Zendesk Ticket Opened', 0), ev('Zendesk Ticket Opened', 3600)];
    expect(detectSupportBurst(input(events), options)?.evidence.summary).toBe('2 support tickets in 1 h');
  });
});

describe('detectErrorBurst', () => {
  it.each([
    ['flags five errors within ten minutes', () => [error(0), error(60), error(120), error(180), error(240)], true],
    ['ignores four errors', () => [error(0), error(60), error(120), error(180)], false],
    ['ignores five errors over an hour', () => [error(0), error(900), error(1800), error(2700), error(3600)], false],
  ])('%s', (_name, events, flagged) => {
    expect(detectErrorBurst(input(events()), FRICTION_DEFAULTS.errorBurst) !== null).toBe(flagged);
  });

  it('lists the distinct error messages in its evidence', () => {
    const events = [error(0), error(10, 'HTTP 500'), error(20), error(30), error(40, 'HTTP 500')];
    const finding = detectErrorBurst(input(events), FRICTION_DEFAULTS.errorBurst)!;
    expect(finding.evidence).toMatchObject({ count: 5, errors: ['Network timeout', 'HTTP 500'], eventIds: events.map((e) => e.id) });
    expect(finding.evidence.summary).toBe('5 errors in 40 s ("Network timeout", "HTTP 500")');
  });
});

describe('detectRageClick', () => {
  it.each([
    ['flags four clicks on one element within two seconds', () => [click(0), click(0.4), click(0.9), click(1.5)], true],
    ['ignores four clicks spread over ten seconds', () => [click(0), click(3), click(6), click(9)], false],
    ['ignores clicks on different elements', () => [click(0, '#a'), click(0.3, '#b'), click(0.6, '#a'), click(0.9, '#b')], false],
    ['ignores clicks without an element', () => [ev('Element Clicked', 0), ev('Element Clicked', 0.2), ev('Element Clicked', 0.4), ev('Element Clicked', 0.6)], false],
  ])('%s', (_name, events, flagged) => {
    expect(detectRageClick(input(events()), FRICTION_DEFAULTS.rageClick) !== null).toBe(flagged);
  });

  it('reads the selector when there is no element property, and names it', () => {
    const events = [0, 0.2, 0.4, 0.6].map((s) => ev('Element Clicked', s, { selector: 'button.pay' }));
    expect(detectRageClick(input(events), FRICTION_DEFAULTS.rageClick)).toMatchObject({
      evidence: { summary: '4 clicks on "button.pay" in 0.6 s', element: 'button.pay', clicks: 4 },
      dedupeKey: `rage_click-${PROFILE}-button_pay-${events[0].timestamp.getTime()}`,
    });
  });
});
