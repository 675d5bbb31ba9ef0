import { signContext, type TenantContext } from '../subgraphs/common/auth-context';

/**
 * Signs the caller's context for the subgraphs, reusing a token until half its lifetime is gone:
 * one HMAC per key per half-TTL rather than one per subgraph call.
 */
export function createContextSigner(secret: string, ttlSeconds: number): (ctx: TenantContext) => string {
  const cache = new Map<string, { token: string; renewAt: number }>();
  return (ctx) => {
    const now = Date.now();
    const cacheKey = `${ctx.keyId}\u0000${ctx.tenantId}`;
    const hit = cache.get(cacheKey);
    if (hit && hit.renewAt > now) return hit.token;
    const token = signContext(ctx, secret, ttlSeconds, now);
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { token, renewAt: now + (ttlSeconds * 1000) / 2 });
    return token;
  };
}
