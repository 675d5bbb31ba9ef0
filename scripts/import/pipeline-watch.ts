// Reads how far the pipeline is with one tenant's events, through the gateway's `pipelineStatus`.
import { baseUrl } from './batch-sender';

/** The tenant's share of the pipeline's backlog at one moment. */
export interface TenantBacklog {
  /** Stored events of the tenant not yet through identity resolution (from SQL). */
  unresolved: number;
  /** The tenant's events waiting in or worked on by any stage (resolve from SQL, the others from their queues). */
  pending: number;
  /** The tenant's own `caughtUp`. */
  caughtUp: boolean;
  /** A stage's queues were longer than the server scans: `pending` is a lower bound. */
  partial: boolean;
}

/** The query the import polls; the key needs `admin`. */
export const TENANT_BACKLOG_QUERY = /* GraphQL */ `
  query ImportBacklog {
    pipelineStatus {
      tenants { tenantId caughtUp stages { stage pendingEvents partial } }
    }
  }
`;

interface BacklogAnswer {
  data?: { pipelineStatus?: { tenants: { tenantId: string; caughtUp: boolean; stages: { stage: string; pendingEvents: number; partial: boolean }[] }[] } | null };
  errors?: { message: string; extensions?: { code?: string } }[];
}

/**
 * The backlog of the key's tenant, or the reason it cannot be read (e.g. the key lacks `admin`).
 * `pipelineStatus` lists only the caller's tenant; an empty list means nothing is pending.
 */
export async function readTenantBacklog(url: string, key: string): Promise<TenantBacklog | { error: string }> {
  let answer: BacklogAnswer;
  try {
    const res = await fetch(`${baseUrl(url)}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: TENANT_BACKLOG_QUERY }),
    });
    answer = (await res.json()) as BacklogAnswer;
  } catch (err) {
    return { error: `pipelineStatus unreachable: ${(err as Error).message}` };
  }
  const status = answer.data?.pipelineStatus;
  if (!status) return { error: answer.errors?.[0]?.message ?? 'pipelineStatus returned nothing' };
  const tenant = status.tenants[0];
  if (!tenant) return { unresolved: 0, pending: 0, caughtUp: true, partial: false };
  return {
    unresolved: tenant.stages.find((s) => s.stage === 'RESOLVE')?.pendingEvents ?? 0,
    pending: tenant.stages.reduce((sum, s) => sum + s.pendingEvents, 0),
    caughtUp: tenant.caughtUp,
    partial: tenant.stages.some((s) => s.partial),
  };
}
