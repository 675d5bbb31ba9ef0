import { detectNegativeFeedback } from '../../../../../subgraphs/signals/domain/friction/negative-feedback';
import { FRICTION_DEFAULTS } from '../../../../../subgraphs/signals/domain/friction/settings';
import { ev, PROFILE } from './helpers';

const options = FRICTION_DEFAULTS.negativeFeedback;

describe('detectNegativeFeedback', () => {
  it.each([
    ['an NPS of 0 (detractor)', 'NPS Submitted', { score: 0 }, 1],
    ['an NPS of 6 (detractor)', 'NPS Submitted', { score: 6 }, 0.4],
    ['an NPS sent as a numeric string', 'NPS Submitted', { score: '3' }, 0.7],
    ['a CSAT of 1', 'CSAT Submitted', { score: 1 }, 0.8],
    ['a CSAT of 2', 'CSAT Submitted', { score: 2 }, 0.6],
    ['a survey rated 1 of 5', 'Survey Submitted', { rating: 1 }, 0.8],
    ['a survey rated 2 of 10', 'Survey Completed', { rating: 2, scale: 10 }, 0.8],
  ])('flags %s with its severity', (_name, eventName, properties, severity) => {
    const finding = detectNegativeFeedback(PROFILE, ev(eventName, 0, properties), options);
    expect(finding).toMatchObject({ type: 'negative_feedback', severity, evidence: { score: Number(Object.values(properties)[0]) } });
  });

  it.each([
    ['an NPS passive (7)', 'NPS Submitted', { score: 7 }],
    ['an NPS promoter (10)', 'NPS Submitted', { score: 10 }],
    ['a CSAT of 3', 'CSAT Submitted', { score: 3 }],
    ['a survey rated 4 of 5', 'Survey Submitted', { rating: 4 }],
    ['an NPS without a score', 'NPS Submitted', {}],
    ['a non-numeric score', 'NPS Submitted', { score: 'bad' }],
    ['an out-of-range NPS', 'NPS Submitted', { score: -2 }],
    ['another event with a score', 'Quiz Finished', { score: 1 }],
  ])('ignores %s', (_name, eventName, properties) => {
    expect(detectNegativeFeedback(PROFILE, ev(eventName, 0, properties), options)).toBeNull();
  });

  it('keeps the score, the scale and the comment as evidence, keyed on the event time', () => {
    const event = ev('NPS Submitted', 0, { score: 2, comment: 'The ID upload never works' });
    expect(detectNegativeFeedback(PROFILE, event, options)).toEqual({
      type: 'negative_feedback',
      profileId: PROFILE,
      severity: 0.8,
      detectedAt: event.timestamp,
      evidence: {
        summary: 'NPS detractor: scored 2 of 10',
        kind: 'nps',
        eventName: 'NPS Submitted',
        score: 2,
        scale: 10,
        threshold: 6,
        comment: 'The ID upload never works',
        eventIds: [event.id],
      },
      dedupeKey: `negative_feedback-${PROFILE}-nps-${event.timestamp.getTime()}`,
    });
  });

  it('recognises a tenant’s own event name and property', () => {
    const mapped = { ...options, nps: { ...options.nps, events: ['Survey: NPS'], scoreProperty: 'value' } };
    expect(detectNegativeFeedback(PROFILE, ev('Survey: NPS', 0, { value: 4 }), mapped)).not.toBeNull();
    expect(detectNegativeFeedback(PROFILE, ev('NPS Submitted', 0, { score: 4 }), mapped)).toBeNull();
  });
});
