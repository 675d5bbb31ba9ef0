import { computedTraitsItemProblem, parseComputedTraitsBatch, parseEvaluateSegments } from '../../../../subgraphs/profiles/domain/profile-batches';

const A = '01900000-0000-7000-8000-00000000000a';
const B = '01900000-0000-7000-8000-00000000000b';

describe('parseEvaluateSegments', () => {
  it.each([
    ['a batch', { tenantId: 't', profileIds: [A, B] }, { tenantId: 't', profileIds: [A, B] }],
    ['a batch of the history lane', { tenantId: 't', profileIds: [A], lane: 'history' }, { tenantId: 't', profileIds: [A], lane: 'history' }],
    ['a live batch (the lane is left out)', { tenantId: 't', profileIds: [A], lane: 'live' }, { tenantId: 't', profileIds: [A] }],
    ['a batch naming a profile twice', { tenantId: 't', profileIds: [B, A, B] }, { tenantId: 't', profileIds: [B, A] }],
    ['the lone form of an older job', { tenantId: 't', profileId: A }, { tenantId: 't', profileIds: [A] }],
  ])('reads %s', (_name, data, batch) => {
    expect(parseEvaluateSegments(data, 10)).toEqual({ ok: true, batch, dropped: [] });
  });

  it('leaves out an id that is not a UUID, with its index', () => {
    expect(parseEvaluateSegments({ tenantId: 't', profileIds: [A, 'x', 7] }, 10)).toEqual({
      ok: true,
      batch: { tenantId: 't', profileIds: [A] },
      dropped: [
        { index: 1, reason: 'profile id must be a UUID' },
        { index: 2, reason: 'profile id must be a UUID' },
      ],
    });
  });

  it.each([
    ['no payload', null, 'no payload'],
    ['no tenant', { profileIds: [A] }, 'tenantId is required'],
    ['profileIds not an array', { tenantId: 't', profileIds: A }, 'profileIds must be an array'],
    ['no profiles', { tenantId: 't', profileIds: [] }, 'profileIds must not be empty'],
    ['too many profiles', { tenantId: 't', profileIds: [A, B, A] }, 'at most 2'],
    ['no usable profile', { tenantId: 't', profileIds: ['x'] }, 'profileIds[0]: profile id must be a UUID'],
    ['a lone form without a profile', { tenantId: 't' }, 'profileIds[0]'],
  ])('refuses %s', (_name, data, problem) => {
    const parsed = parseEvaluateSegments(data, 2);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('; ')).toContain(problem);
  });
});

describe('parseComputedTraitsBatch', () => {
  const item = (over: Record<string, unknown> = {}) => ({ profileId: A, source: 'risk', traits: { churnBucket: 'HIGH' }, ...over });

  it('reads a batch, keeping items in order and the history lane', () => {
    expect(parseComputedTraitsBatch({ tenantId: 't', lane: 'history', items: [item(), item({ profileId: B })] }, 10)).toEqual({
      ok: true,
      batch: { tenantId: 't', lane: 'history', items: [item(), item({ profileId: B })] },
      dropped: [],
    });
  });

  it('reads the lone form of an older job as a batch of one', () => {
    expect(parseComputedTraitsBatch({ tenantId: 't', ...item() }, 10)).toEqual({ ok: true, batch: { tenantId: 't', items: [item()] }, dropped: [] });
  });

  it('leaves out malformed items with their index and reason, keeping the good ones', () => {
    const parsed = parseComputedTraitsBatch({ tenantId: 't', items: [item({ source: 'eventCount' }), item(), null, item({ traits: [] })] }, 10);
    expect(parsed).toEqual({
      ok: true,
      batch: { tenantId: 't', items: [item()] },
      dropped: [
        { index: 0, reason: 'source must match [a-z][a-z0-9_]* and not be a built-in key' },
        { index: 2, reason: 'not an object' },
        { index: 3, reason: 'traits must be an object' },
      ],
    });
  });

  it.each([
    ['no tenant', { items: [item()] }, 'tenantId is required'],
    ['items not an array', { tenantId: 't', items: 'x' }, 'items must be a non-empty array'],
    ['no items', { tenantId: 't', items: [] }, 'items must be a non-empty array'],
    ['too many items', { tenantId: 't', items: [item(), item(), item()] }, 'at most 2'],
    ['only malformed items', { tenantId: 't', items: [item({ profileId: 'p' }), 5] }, 'items[0]: profileId must be a UUID; items[1]: not an object'],
    ['a malformed lone form', { tenantId: 't', ...item({ source: 'Risk' }) }, 'source must match'],
  ])('refuses %s', (_name, data, problem) => {
    const parsed = parseComputedTraitsBatch(data, 2);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('; ')).toContain(problem);
  });
});

describe('computedTraitsItemProblem', () => {
  it('names every problem of an item at once', () => {
    expect(computedTraitsItemProblem({ profileId: 'p', source: '1', traits: null })).toBe(
      'profileId must be a UUID, source must match [a-z][a-z0-9_]* and not be a built-in key, traits must be an object',
    );
    expect(computedTraitsItemProblem({ profileId: A, source: 'nps', traits: {} })).toBeNull();
  });
});
