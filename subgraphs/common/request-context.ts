import type { TenantContext } from './auth-context';

/** What every subgraph resolver gets: the verified caller and a request id for logs. */
export interface RequestContext {
  auth: TenantContext;
  tenantId: string;
  requestId: string;
}
