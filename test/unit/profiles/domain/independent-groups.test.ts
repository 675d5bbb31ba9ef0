import { independentGroups } from '../../../../subgraphs/profiles/domain/independent-groups';
import { identityFields as ev } from '../../../fixtures/identity-fields';

describe('independentGroups', () => {
  it('keeps events of different customers apart and each customer’s events in order', () => {
    const groups = independentGroups([
      ev({ anonymousId: 'a1' }),
      ev({ anonymousId: 'b1' }),
      ev({ anonymousId: 'a1', userId: 'u1' }),
      ev({ userId: 'u1' }),
      ev({ anonymousId: 'b1' }),
    ]);
    expect(groups).toEqual([
      [0, 2, 3],
      [1, 4],
    ]);
  });

  it('joins groups through a chain of shared identifiers, including email traits and alias previousId', () => {
    const groups = independentGroups([
      ev({ anonymousId: 'dev-1' }),
      ev({ userId: 'u1', traits: { email: 'Ada@Example.com' } }),
      ev({ anonymousId: 'dev-2', traits: { email: 'ada@example.com' } }),
      ev({ type: 'alias', previousId: 'dev-1', userId: 'u9' }),
      ev({ userId: 'u9', anonymousId: 'dev-2' }),
    ]);
    expect(groups).toEqual([[0, 1, 2, 3, 4]]);
  });

  it('makes an event without a usable identifier a group of its own (junk values are no identifiers)', () => {
    const groups = independentGroups([ev({ anonymousId: 'anonymous' }), ev({ anonymousId: 'anonymous' }), ev({ userId: 'guest' })], ['guest']);
    expect(groups).toEqual([[0], [1], [2]]);
  });

  it('returns no group for no events', () => {
    expect(independentGroups([])).toEqual([]);
  });
});
