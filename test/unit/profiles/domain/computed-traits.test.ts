import {
  eventRevenue,
  isComputedTraitNamespace,
  mergePushedNamespaces,
  shapeComputedTraits,
  windowStarts,
  withBuiltinComputedTraits,
  withComputedNamespace,
  type EventAggregate,
} from '../../../../subgraphs/profiles/domain/computed-traits';

const NOW = new Date('2025-06-30T12:00:00.000Z');
const at = (iso: string) => new Date(iso);

const row = (over: Partial<EventAggregate>): EventAggregate => ({
  type: 'track',
  name: 'Viewed',
  count: 1,
  windowCounts: [1, 1, 1],
  firstAt: at('2025-06-29T00:00:00Z'),
  lastAt: at('2025-06-29T00:00:00Z'),
  revenue: 0,
  ...over,
});

describe('windowStarts', () => {
  it('ends every window at now', () => {
    expect(windowStarts(NOW).map((d) => d.toISOString())).toEqual([
      '2025-06-23T12:00:00.000Z',
      '2025-05-31T12:00:00.000Z',
      '2025-04-01T12:00:00.000Z',
    ]);
  });
});

describe('shapeComputedTraits', () => {
  it('gives empty aggregates before the first event', () => {
    expect(shapeComputedTraits([], NOW)).toEqual({
      eventCounts: {},
      eventCount: 0,
      firstSeen: null,
      lastSeen: null,
      lastPurchaseAt: null,
      orderCount: 0,
      totalRevenue: 0,
      computedAt: NOW.toISOString(),
    });
  });

  it.each<[string, EventAggregate[], Record<string, unknown>]>([
    [
      'counts track events per name and window',
      [row({ name: 'Viewed', count: 9, windowCounts: [2, 5, 7] }), row({ name: 'Clicked', count: 1, windowCounts: [0, 0, 1] })],
      { eventCounts: { Viewed: { '7d': 2, '30d': 5, '90d': 7 }, Clicked: { '7d': 0, '30d': 0, '90d': 1 } }, eventCount: 10 },
    ],
    [
      'leaves out names with no event in 90 days but counts them overall',
      [row({ name: 'Old', count: 4, windowCounts: [0, 0, 0] })],
      { eventCounts: {}, eventCount: 4 },
    ],
    [
      'adds up rows of the same name',
      [row({ windowCounts: [1, 1, 1] }), row({ windowCounts: [0, 2, 3] })],
      { eventCounts: { Viewed: { '7d': 1, '30d': 3, '90d': 4 } } },
    ],
    [
      'takes first and last seen over every type',
      [
        row({ type: 'page', name: 'Home', firstAt: at('2025-01-01T00:00:00Z'), lastAt: at('2025-02-01T00:00:00Z') }),
        row({ type: 'identify', name: null, firstAt: at('2025-03-01T00:00:00Z'), lastAt: at('2025-06-01T00:00:00Z') }),
      ],
      { eventCounts: {}, firstSeen: '2025-01-01T00:00:00.000Z', lastSeen: '2025-06-01T00:00:00.000Z' },
    ],
    [
      'derives purchases from Order Completed, revenue rounded to cents',
      [
        row({ name: 'Order Completed', count: 3, revenue: 0.1 + 0.2 + 99.99, lastAt: at('2025-06-20T00:00:00Z') }),
        row({ name: 'Order Refunded', count: 1, revenue: 0 }),
      ],
      { orderCount: 3, totalRevenue: 100.29, lastPurchaseAt: '2025-06-20T00:00:00.000Z' },
    ],
    [
      'ignores an Order Completed page name',
      [row({ type: 'page', name: 'Order Completed', count: 2 })],
      { orderCount: 0, lastPurchaseAt: null },
    ],
  ])('%s', (_name, rows, expected) => {
    expect(shapeComputedTraits(rows, NOW)).toMatchObject(expected);
  });

  it('rejects rows with the wrong number of window counts', () => {
    expect(() => shapeComputedTraits([row({ windowCounts: [1] })], NOW)).toThrow(/shapeComputedTraits: windowCounts must have 3/);
  });
});

describe('withBuiltinComputedTraits', () => {
  it('replaces the built-in keys and keeps pushed namespaces', () => {
    const builtins = shapeComputedTraits([row({})], NOW);
    const result = withBuiltinComputedTraits({ eventCount: 99, stale: 1, risk: { bucket: 'HIGH' } } as Record<string, unknown>, builtins);
    expect(result).toEqual({ ...builtins, stale: 1, risk: { bucket: 'HIGH' } });
  });
});

describe('withComputedNamespace', () => {
  it('writes into the namespace, keeping its other keys', () => {
    expect(withComputedNamespace({ risk: { bucket: 'LOW', model: 'm1' }, eventCount: 3 }, 'risk', { bucket: 'HIGH' })).toEqual({
      risk: { bucket: 'HIGH', model: 'm1' },
      eventCount: 3,
    });
  });

  it.each(['eventCounts', 'computedAt', 'Risk', '1risk', 'risk.bucket', ''])('refuses the namespace %j', (source) => {
    expect(isComputedTraitNamespace(source)).toBe(false);
    expect(() => withComputedNamespace({}, source, {})).toThrow(RangeError);
  });
});

describe('mergePushedNamespaces', () => {
  it('keeps the survivor’s namespaces and adds the ones only the merged profile had', () => {
    expect(
      mergePushedNamespaces({ risk: { bucket: 'LOW' }, eventCount: 1 }, { risk: { bucket: 'HIGH' }, nps: { score: 9 }, eventCount: 5 }),
    ).toEqual({ risk: { bucket: 'LOW' }, nps: { score: 9 }, eventCount: 1 });
  });
});

describe('eventRevenue', () => {
  it.each<[string, string, string | null, Record<string, unknown>, number | null]>([
    ['revenue', 'track', 'Order Completed', { revenue: 25.5, total: 30 }, 25.5],
    ['total when revenue is absent', 'track', 'Order Completed', { total: 30 }, 30],
    ['a numeric string', 'track', 'Order Completed', { revenue: '19.99' }, 19.99],
    ['null for garbage', 'track', 'Order Completed', { revenue: 'lots' }, null],
    ['null for other events', 'track', 'Product Viewed', { revenue: 10 }, null],
    ['null for a page of that name', 'page', 'Order Completed', { revenue: 10 }, null],
  ])('takes %s', (_name, type, name, properties, expected) => {
    expect(eventRevenue(type, name, properties)).toBe(expected);
  });
});
