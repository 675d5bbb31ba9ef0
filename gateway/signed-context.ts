import { signContext, type TenantContext } from '../subgraphs/common/auth-context';

/**
 * Signs the caller's context for one subgraph (the token's audience), reusing a token until half
 * its lifetime is gone: one HMAC per key and subgraph per half-TTL rather than one per call.
 */
export function createContextSigner(secret: string, ttlSeconds: number): (ctx: TenantContext, audience: string) => string {
  const cache = new Map<string, { token: string; renewAt: number }>();
  return (ctx, audience) => {
    const now = Date.now();
    const cacheKey = `${ctx.keyId}\u0000${ctx.tenantId}\u0000${audience}`;
    const hit = cache.get(cacheKey);
    if (hit && hit.renewAt > now) return hit.token;
    const token = signContext(ctx, secret, audience, ttlSeconds, now);
    if (cache.size > 10_000) cache.clear();
    cache.set(cacheKey, { token, renewAt: now + (ttlSeconds * 1000) / 2 });
    return token;
  };
}
