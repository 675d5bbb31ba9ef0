import type { MikroORM } from '@mikro-orm/core';

import type { EntityManager } from './orm';

/**
 * The MikroORM filter every tenant-scoped entity carries (declared once, on `TenantEntity`, on by
 * default). It adds `tenant_id = ?` to `em.find`, `findOne`, `count`, `nativeUpdate` and
 * `nativeDelete` (and to relations they populate); an entity manager without its parameters
 * throws `No arguments provided for filter 'tenant'` on those calls instead of reading every
 * tenant. Query builders, raw SQL, `upsert`/`insert` and flushes of loaded entities are not
 * filtered (MikroORM 6 applies filters to a query builder only through `qb.applyFilters()`).
 */
export const TENANT_FILTER = 'tenant';

/** The tenant filter's parameters: one tenant, or every tenant (the explicit opt-out of a sweeper). */
export type TenantFilterParams = { tenantId: string } | { acrossTenants: true };

/** The condition the tenant filter adds for its parameters. */
export function tenantCondition(params: TenantFilterParams): { tenantId?: string } {
  if ('tenantId' in params && typeof params.tenantId === 'string' && params.tenantId) return { tenantId: params.tenantId };
  if ('acrossTenants' in params && params.acrossTenants === true) return {};
  throw new RangeError(`tenant filter: expected { tenantId } or { acrossTenants: true } (got ${JSON.stringify(params)})`);
}

type EntityManagerSource = Pick<MikroORM, 'em'> | EntityManager;

/**
 * A fresh entity manager (its own identity map) whose filtered queries see only `tenantId`'s
 * rows, whatever their `where` says. Forks of it (and its transactions) keep the tenant.
 */
export function forkForTenant(source: EntityManagerSource, tenantId: string): EntityManager {
  if (typeof tenantId !== 'string' || !tenantId) throw new RangeError(`forkForTenant: tenantId must be a non-empty string (got ${String(tenantId)})`);
  const em = managerOf(source).fork() as EntityManager;
  em.setFilterParams(TENANT_FILTER, { tenantId } satisfies TenantFilterParams);
  return em;
}

/**
 * A fresh entity manager that reads every tenant: for sweepers, schedulers and status over all
 * tenants, which say so here instead of forgetting a tenant by accident.
 */
export function forkAcrossTenants(source: EntityManagerSource): EntityManager {
  const em = managerOf(source).fork() as EntityManager;
  em.setFilterParams(TENANT_FILTER, { acrossTenants: true } satisfies TenantFilterParams);
  return em;
}

function managerOf(source: EntityManagerSource): EntityManager {
  return ('em' in source ? source.em : source) as EntityManager;
}
