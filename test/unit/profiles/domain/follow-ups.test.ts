import { followUps } from '../../../../subgraphs/profiles/domain/follow-ups';

describe('followUps', () => {
  const events = ['e1', 'e2', 'e3', 'e4'].map((eventId) => ({ eventId }));

  it('reports every event to signals, with no profile for an event without identity', () => {
    const result = followUps('t1', events, [{ profileId: 'p1', mergedIds: [] }, null, { profileId: 'p2', mergedIds: [] }, { profileId: 'p1', mergedIds: [] }]);
    expect(result.resolved).toEqual([
      { tenantId: 't1', eventId: 'e1', profileId: 'p1' },
      { tenantId: 't1', eventId: 'e2', profileId: null },
      { tenantId: 't1', eventId: 'e3', profileId: 'p2' },
      { tenantId: 't1', eventId: 'e4', profileId: 'p1' },
    ]);
  });

  it('evaluates segments once per profile, named after the last event that touched it', () => {
    const result = followUps('t1', events, [{ profileId: 'p1', mergedIds: [] }, { profileId: 'p2', mergedIds: [] }, { profileId: 'p1', mergedIds: [] }, null]);
    expect([...result.evaluate]).toEqual([
      ['p1', 'e3'],
      ['p2', 'e2'],
    ]);
    expect(result.merges).toEqual([]);
  });

  it('evaluates merged-away profiles too (their memberships close) and reports each merge', () => {
    const result = followUps('t1', events.slice(0, 2), [
      { profileId: 'anon', mergedIds: [] },
      { profileId: 'user', mergedIds: ['anon', 'old'] },
    ]);
    expect([...result.evaluate]).toEqual([
      ['anon', 'e2'],
      ['user', 'e2'],
      ['old', 'e2'],
    ]);
    expect(result.merges).toEqual([
      { profileId: 'user', mergedProfileId: 'anon' },
      { profileId: 'user', mergedProfileId: 'old' },
    ]);
  });
});
