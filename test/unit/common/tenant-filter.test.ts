import { tenantCondition, type TenantFilterParams } from '../../../subgraphs/common/tenant-filter';

describe('tenantCondition', () => {
  it('limits to the tenant given', () => {
    expect(tenantCondition({ tenantId: 'acme' })).toEqual({ tenantId: 'acme' });
  });

  it('adds nothing for an explicit opt-out across tenants', () => {
    expect(tenantCondition({ acrossTenants: true })).toEqual({});
  });

  it.each<[string, unknown]>([
    ['an empty tenant id', { tenantId: '' }],
    ['a tenant id that is not a string', { tenantId: 42 }],
    ['an opt-out that is not literally true', { acrossTenants: 'yes' }],
    ['no known key', { tenant: 'acme' }],
  ])('refuses %s instead of reading every tenant', (_name, params) => {
    expect(() => tenantCondition(params as TenantFilterParams)).toThrow(RangeError);
  });
});
