import { jobFollowUps } from '../../../../subgraphs/profiles/domain/follow-ups';

describe('jobFollowUps', () => {
  const at = (eventId: string, profileId: string | null, mergedIds: string[] = []) => ({
    eventId,
    landing: profileId === null ? null : { profileId, mergedIds },
  });

  it('evaluates segments once per profile, named after the last event that touched it; events without identity touch none', () => {
    const result = jobFollowUps([at('e1', 'p1'), at('e2', 'p2'), at('e3', 'p1'), at('e4', null)]);
    expect([...result.evaluate]).toEqual([
      ['p1', 'e3'],
      ['p2', 'e2'],
    ]);
    expect(result.merges).toEqual([]);
  });

  it('evaluates merged-away profiles too (their memberships close) and reports each merge', () => {
    const result = jobFollowUps([at('e1', 'anon'), at('e2', 'user', ['anon', 'old'])]);
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

  it('has nothing to send for no events', () => {
    expect(jobFollowUps([])).toEqual({ evaluate: new Map(), merges: [] });
  });
});
